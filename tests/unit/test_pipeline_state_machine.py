"""The Step Functions pipeline (infra/statemachine/pipeline.asl.json): valid ASL (statelint),
its states named after the local pipeline's steps, and executed under moto's Step Functions
(ECS Fargate tasks, the gate's Choice) to success and to a gated failure."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from recommender.offline.pipeline import STEPS

ROOT = Path(__file__).resolve().parents[2]
ASL = ROOT / "infra" / "statemachine" / "pipeline.asl.json"
TEMPLATE = ROOT / "infra" / "template.yaml"


def definition() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(ASL.read_text())
    return loaded


def command_of(state: dict[str, Any]) -> list[str]:
    (override,) = state["Parameters"]["Overrides"]["ContainerOverrides"]
    command: list[str] = override["Command"]
    return command


def path_taken(states: dict[str, Any], start: str) -> list[str]:
    """The states from ``start`` following Next (and a Choice's first rule) to the end."""
    path, name = [], start
    while name is not None:
        path.append(name)
        state = states[name]
        name = state["Choices"][0]["Next"] if state["Type"] == "Choice" else state.get("Next")
    return path


def statelint(path: Path) -> subprocess.CompletedProcess[str]:
    binary = Path(sys.executable).parent / "statelint"
    return subprocess.run([str(binary), str(path)], capture_output=True, text=True)


def test_statelint_finds_no_problem() -> None:
    result = statelint(ASL)
    assert result.returncode == 0, result.stdout + result.stderr


def test_statelint_would_see_a_broken_definition(tmp_path: Path) -> None:
    broken = definition()
    broken["States"]["etl"]["Next"] = "no_such_state"
    path = tmp_path / "broken.asl.json"
    path.write_text(json.dumps(broken))
    result = statelint(path)
    assert result.returncode != 0 and "no_such_state" in result.stdout + result.stderr


def test_the_states_are_the_local_pipeline_s_steps_in_its_order() -> None:
    states = definition()["States"]
    path = path_taken(states, definition()["StartAt"])
    stepped = [command_of(states[s])[3] for s in path if command_of_or_none(states[s])]
    assert stepped == list(STEPS)
    for step in STEPS:  # each state is named after the step it runs
        assert command_of(states[step]) == ["philomath", "pipeline", "step", step]
    assert path == ["ingest", *STEPS[:-1], "evaluate", "gate", "promoted", STEPS[-1], "warm"]
    assert command_of(states["evaluate"]) == ["philomath", "pipeline", "evaluate"]
    assert command_of(states["warm"]) == ["philomath", "cache", "warm"]


def command_of_or_none(state: dict[str, Any]) -> bool:
    return state["Type"] == "Task" and command_of(state)[:3] == ["philomath", "pipeline", "step"]


def test_the_template_deploys_this_file_and_fills_every_placeholder() -> None:
    template = TEMPLATE.read_text()
    assert "DefinitionUri: statemachine/pipeline.asl.json" in template
    for name in set(re.findall(r"\$\{(\w+)\}", ASL.read_text())):
        assert re.search(rf"^\s+{name}: ", template, re.MULTILINE), name


# -- executions under moto ---------------------------------------------------------------


@pytest.fixture
def moto_sfn(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto's Step Functions executing definitions, with its ECS integration's casing fixed:
    moto 5.2.6 hands ``runTask``'s PascalCase parameters to boto3 unconverted and returns
    boto3's camelCase where Step Functions answers PascalCase (what LocalStack converts)."""
    from moto.core.config import default_user_config
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_ecs as ecs_service,
    )

    def recased(value: Any, first: Any) -> Any:
        if isinstance(value, dict):
            return {first(k[:1]) + k[1:]: recased(v, first) for k, v in value.items()}
        if isinstance(value, list):
            return [recased(v, first) for v in value]
        return value

    def parameters(self: Any, parameters: dict[str, Any], *_: Any, **__: Any) -> None:
        fixed = recased(parameters, str.lower)
        parameters.clear()
        parameters.update(fixed)

    def response(self: Any, response: Any, *_: Any, **__: Any) -> None:
        if isinstance(response, dict):
            fixed = recased(response, str.upper)
            response.clear()
            response.update(fixed)

    cls = ecs_service.StateTaskServiceEcs
    monkeypatch.setattr(cls, "_normalise_parameters", parameters, raising=False)
    monkeypatch.setattr(cls, "_normalise_response", response, raising=False)
    monkeypatch.setitem(default_user_config, "stepfunctions", {"execute_state_machine": True})
    yield


def gate_exits_with(code: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """moto runs no container: the gate task's container 'exits' with ``code``, as
    `philomath pipeline gate` does (tests/unit/test_pipeline_steps.py tests it)."""
    from moto.ecs import models

    original = models.Task.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        commands = [o.get("command") for o in self.overrides.get("containerOverrides", [])]
        if ["philomath", "pipeline", "gate"] in commands:
            self.containers[0].exitCode = code

    monkeypatch.setattr(models.Task, "__init__", init)


def execute() -> tuple[dict[str, Any], list[str], list[list[str]]]:
    """Deploy the definition on moto's ECS (cluster, Fargate task definition, VPC) as the
    template does, run it; (execution, states entered, commands the ECS tasks ran)."""
    ec2, ecs, sfn = (
        boto3.client(s, region_name="us-east-1") for s in ("ec2", "ecs", "stepfunctions")
    )
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24")["Subnet"]["SubnetId"]
        for i in (1, 2)
    ]
    group = ec2.create_security_group(GroupName="offline", Description="t", VpcId=vpc)["GroupId"]
    cluster = ecs.create_cluster(clusterName="philomath")["cluster"]["clusterArn"]
    task = ecs.register_task_definition(
        family="philomath-offline",
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="2048",
        memory="8192",
        containerDefinitions=[
            {"name": "offline", "image": "philomath", "cpu": 2048, "memory": 8192}
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    values = {
        "ClusterArn": cluster,
        "TaskDefinitionArn": task,
        "SubnetA": subnets[0],
        "SubnetB": subnets[1],
        "SecurityGroup": group,
        "FeedsBucket": "philomath-feeds",
    }
    text = re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], ASL.read_text())
    machine = sfn.create_state_machine(
        name="philomath-pipeline", definition=text, roleArn="arn:aws:iam::123456789012:role/sfn"
    )["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    deadline = time.monotonic() + 60
    while (execution := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the execution did not finish"
        time.sleep(0.1)
    events = sfn.get_execution_history(executionArn=arn)["events"]
    entered = [
        e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e
    ]
    ran = ecs.list_tasks(cluster=cluster)["taskArns"]
    described = ecs.describe_tasks(cluster=cluster, tasks=ran)["tasks"] if ran else []
    commands = [t["overrides"]["containerOverrides"][0]["command"] for t in described]
    return execution, entered, commands


def test_an_execution_runs_every_step_and_batch_inference(
    moto_sfn: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate_exits_with(0, monkeypatch)
    execution, entered, commands = execute()
    assert execution["status"] == "SUCCEEDED"
    assert entered == ["ingest", *STEPS[:-1], "evaluate", "gate", "promoted", "recommend", "warm"]
    assert commands.index(["philomath", "pipeline", "evaluate"]) == len(STEPS)  # after train
    assert ["philomath", "pipeline", "step", "recommend"] in commands
    assert commands[-1] == ["philomath", "cache", "warm"]  # after batch inference
    assert ["philomath", "pipeline", "ingest", "s3://philomath-feeds/feeds/"] in commands


def test_a_model_the_gate_kept_out_ends_the_execution_without_batch_inference(
    moto_sfn: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate_exits_with(3, monkeypatch)  # the promotion gate kept the model in service
    execution, entered, commands = execute()
    assert execution["status"] == "SUCCEEDED"  # a normal outcome: no alarm
    assert entered[-4:] == ["evaluate", "gate", "promoted", "kept_in_service"]
    assert ["philomath", "pipeline", "step", "recommend"] not in commands
    assert ["philomath", "cache", "warm"] not in commands


def test_a_model_overridden_since_stops_before_batch_inference(
    moto_sfn: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate_exits_with(1, monkeypatch)
    execution, entered, commands = execute()
    assert execution["status"] == "FAILED"
    assert execution["error"] == "ModelNotPromoted"
    assert entered[-4:] == ["evaluate", "gate", "promoted", "not_promoted"]
    assert ["philomath", "pipeline", "step", "recommend"] not in commands
    assert ["philomath", "cache", "warm"] not in commands
