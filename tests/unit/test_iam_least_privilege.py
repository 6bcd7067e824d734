"""Every role in infra/template.yaml grants exactly the DynamoDB, Kinesis and S3 actions its
code calls, on the resources its settings point at (moto does not enforce IAM, so this is
where a missing permission is caught before a deployment fails).

Derived from the source (``aws_calls``): the role's entry point (the Lambda handler, or the
commands the offline image runs) -> the modules it can import -> the port methods called on
a port-named receiver (``self._store.get_list``...) -> through the adapter its environment's
URL selects (``dynamodb://${Table}``), the boto3 operations those methods reach -> IAM
actions. ``ensure_schema`` counts only where ``PHILOMATH_ENSURE_SCHEMA`` is not ``false``;
the router's modules count only in the roles that build it (``build_online``)."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode

from tests.unit.aws_calls import (
    called_receivers,
    class_operations,
    function_operations,
    iam_action,
    import_closure,
    module_path,
)

TEMPLATE = Path(__file__).resolve().parents[2] / "infra" / "template.yaml"
ADAPTER_MODULES = (
    "recommender.storage.dynamodb_recommendations",
    "recommender.storage.dynamodb_profiles",
    "recommender.storage.dynamodb_table",
    "playback.dynamodb_queue",
    "playback.kinesis_stream",
    "listening.dynamodb_identity",
    "recommender.storage.s3_listen_archive",
    "listening.dynamodb_routines",
    "recommender.storage.dynamodb_posteriors",
)
# URL variable -> (service, adapter module, class, names the code gives that port). An
# erasure (listening.erasure) calls ``forgetter.forget`` on each store that holds listener
# data, so a ``forgetter`` receiver is each of theirs, in the roles that erase.
PORTS = {
    "PHILOMATH_STORE_URL": (
        "dynamodb",
        "recommender.storage.dynamodb_recommendations",
        "DynamoDBRecommendationStore",
        {"store", "forgetter"},
    ),
    "PHILOMATH_PROFILES_URL": (
        "dynamodb",
        "recommender.storage.dynamodb_profiles",
        "DynamoDBProfileStore",
        {"profiles", "forgetter"},
    ),
    "PHILOMATH_QUEUE_URL": (
        "dynamodb",
        "playback.dynamodb_queue",
        "DynamoDBQueueStore",
        {"store", "queues", "forgetter"},
    ),
    "PHILOMATH_IDENTITY_URL": (
        "dynamodb",
        "listening.dynamodb_identity",
        "DynamoDBIdentityStore",
        {"identity", "forgetter"},
    ),
    "PHILOMATH_ROUTINES_URL": (
        "dynamodb",
        "listening.dynamodb_routines",
        "DynamoDBRoutineStore",
        {"routines", "forgetter"},
    ),
    "PHILOMATH_EVENTS_URL": (
        "kinesis",
        "playback.kinesis_stream",
        "KinesisEventStream",
        {"stream", "events"},
    ),
    "PHILOMATH_BANDIT_URL": (
        "dynamodb",
        "recommender.storage.dynamodb_posteriors",
        "DynamoDBPosteriorStore",
        {"posteriors"},
    ),
    "PHILOMATH_LISTEN_ARCHIVE_URL": (
        "s3",
        "recommender.storage.s3_listen_archive",
        "S3ListenArchive",
        {"archive", "listen_archive"},  # an erasure's DeferredErasure names it archive too
    ),
}
# The roles that serve erasures: the skill (SkillDisabled) and the API (DELETE /v1/users/me).
# The others import the composition root too, which names the erasure, but never run one.
ERASING_ENTRIES = {"philomath.lambda_handler", "philomath.api_handler"}
ERASE_LISTS = {"dynamodb:Query", "dynamodb:BatchWriteItem"}  # RecommendationStore.forget
# Code that runs only inside the router, which only ``philomath.wiring.build_online`` builds:
# the re-ranker reads the bandit's posteriors there. The consumer imports it through the
# composition root (its experiments) but never routes, so it is not granted those reads.
ROUTER_ONLY_MODULES = {"recommender.serving.bandit"}
# The offline image's commands: the pipeline's steps, `schema ensure`, `batch`.
OFFLINE_ENTRIES = ["philomath.cli.deploy", "philomath.offline", "philomath.roles"]
Grants = dict[str, set[str]]  # resource -> actions


def template() -> dict[str, Any]:
    loaded, problems = decode(str(TEMPLATE))
    assert not problems and loaded is not None
    resources: dict[str, Any] = loaded["Resources"]
    return resources


def resource_name(expression: Any) -> str:
    """``!GetAtt T.Arn`` -> ``T``; ``!Sub "${B.Arn}/*"`` -> ``B/*``; ``!Ref S`` -> ``S``."""
    if isinstance(expression, dict):
        ((function, value),) = expression.items()
        if function == "Fn::GetAtt":
            return str(value[0] if isinstance(value, list) else value.split(".")[0])
        if function == "Ref":
            return str(value)
        if function == "Fn::Sub":
            return str(value).replace("${", "").replace(".Arn}", "").replace("}", "")
    return str(expression)


def roles() -> dict[str, tuple[list[str], dict[str, Any], list[dict[str, Any]]]]:
    """Role -> (entry modules, environment, policy statements)."""
    found = {}
    for name, resource in template().items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::Serverless::Function":
            entry = props["Handler"].rpartition(".")[0]
            statements = [s for policy in props["Policies"] for s in policy["Statement"]]
            found[name] = ([entry], props["Environment"]["Variables"], statements)
    task = template()["OfflineTaskDefinition"]["Properties"]
    (container,) = task["ContainerDefinitions"]
    environment = {pair["Name"]: pair["Value"] for pair in container["Environment"]}
    policies = template()["OfflineTaskRole"]["Properties"]["Policies"]
    statements = [s for policy in policies for s in policy["PolicyDocument"]["Statement"]]
    found["OfflineTaskRole"] = (OFFLINE_ENTRIES, environment, statements)
    return found


def transaction_actions(module: str) -> set[str]:
    """IAM checks each item of a ``TransactWriteItems`` as the action it is (PutItem,
    UpdateItem, DeleteItem, ConditionCheckItem): the kinds the adapter's transactions hold."""
    source = module_path(module).read_text()
    kinds = re.findall(r'"(Put|Update|Delete|ConditionCheck)": ', source)
    return {f"dynamodb:{kind}Item" for kind in kinds}


def routes(entries: list[str]) -> bool:
    """Whether an entry module builds the online path (router and all): calls ``build_online``."""
    for entry in entries:
        for node in ast.walk(ast.parse(module_path(entry).read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "build_online":
                return True
    return False


def needed(entries: list[str], environment: dict[str, Any]) -> Grants:
    """What the role's code calls, as IAM actions by resource."""
    modules = import_closure(entries, exclude=ADAPTER_MODULES)
    if not routes(entries):
        modules -= ROUTER_ONLY_MODULES
    schema = str(environment.get("PHILOMATH_ENSURE_SCHEMA", "true")) != "false"
    erases = bool(ERASING_ENTRIES & set(entries))
    grants: Grants = {}
    for variable, (service, module, cls, names) in PORTS.items():
        receivers = names if erases else names - {"forgetter"}
        url = environment.get(variable)
        if url is None or not resource_name(url).startswith(f"{service}://"):
            continue  # not set: the role uses the local default (SQLite), or another backend
        table = resource_name(url).removeprefix(f"{service}://")
        operations = class_operations(module, cls)
        used = {m for m in called_receivers(modules, receivers) if m in operations}
        # Every role calls ensure_schema only when the setting is on, whoever names it.
        used.discard("ensure_schema")
        if schema and "ensure_schema" in operations:
            used.add("ensure_schema")
        actions = {iam_action(service, op) for m in used for op in operations[m]}
        if "dynamodb:TransactWriteItems" in actions:
            actions |= transaction_actions(module)
        targets = [table, "FeedbackTable"] if cls == "DynamoDBProfileStore" else [table]
        if service == "s3":  # objects under the prefix; listing is on the bucket
            bucket = table.split("/")[0]
            for action in actions:
                target = bucket if action == "s3:ListBucket" else f"{table}/*"
                grants.setdefault(target, set()).add(action)
            continue
        for target in targets:
            if actions:
                grants.setdefault(target, set()).update(actions)
    if "philomath.ingest" in modules:  # `pipeline ingest`: the feeds bucket
        for op in function_operations("philomath.ingest", "ingest_feeds"):
            action = iam_action("s3", op)
            target = "FeedsBucket" if action == "s3:ListBucket" else "FeedsBucket/*"
            grants.setdefault(target, set()).add(action)
    return grants


def granted(statements: list[dict[str, Any]], services: tuple[str, ...]) -> Grants:
    grants: Grants = {}
    for statement in statements:
        assert statement["Effect"] == "Allow"
        actions = {a for a in statement["Action"] if a.split(":")[0] in services}
        for resource in statement["Resource"] if actions else []:
            grants.setdefault(resource_name(resource), set()).update(actions)
    return grants


ROLES = sorted(roles())
FUNCTIONS = {name for name, r in template().items() if r["Type"] == "AWS::Serverless::Function"}


@pytest.mark.parametrize("role", ROLES)
def test_the_role_grants_exactly_what_its_code_calls(role: str) -> None:
    entries, environment, statements = roles()[role]
    assert granted(statements, ("dynamodb", "kinesis", "s3")) == needed(entries, environment)


@pytest.mark.parametrize("role", ROLES)
def test_the_role_reads_exactly_the_secrets_its_environment_names(role: str) -> None:
    # A setting whose value is a secret's ARN (``!Ref`` of a secret) is read at start
    # (philomath.security.Secrets); nothing else is.
    _, environment, statements = roles()[role]
    secrets = {n for n, r in template().items() if r["Type"] == "AWS::SecretsManager::Secret"}
    # ``!Sub "${Secret}#key"`` names one key of a JSON secret: the secret is still read.
    referenced = {resource_name(v).split("#")[0] for v in environment.values()}
    named = referenced & secrets
    reads = granted(statements, ("secretsmanager",))
    assert set(reads) == named
    assert all(actions == {"secretsmanager:GetSecretValue"} for actions in reads.values())


def test_no_deployed_function_creates_tables_on_a_cold_start() -> None:
    for role, (_, environment, statements) in roles().items():
        if role != "OfflineTaskRole":
            assert environment["PHILOMATH_ENSURE_SCHEMA"] == "false", role
            actions = set().union(*granted(statements, ("dynamodb", "kinesis")).values())
            assert not actions & {"dynamodb:CreateTable", "kinesis:CreateStream"}, role


def test_the_feedback_table_is_named_as_the_profile_store_expects() -> None:
    # recommender/storage/dynamodb_profiles.py: feedback_table or f"{table_name}-feedback".
    assert "-feedback" in module_path(ADAPTER_MODULES[1]).read_text()
    tables = template()
    profiles = tables["ProfileTable"]["Properties"]["TableName"]["Fn::Sub"]
    assert tables["FeedbackTable"]["Properties"]["TableName"]["Fn::Sub"] == f"{profiles}-feedback"


def test_the_derivation_sees_the_calls_it_must() -> None:
    # The consumer applies events transactionally and the skill publishes plays: if the
    # source scan stopped seeing them, every role would agree with an empty template.
    consumer = needed(*roles()["ConsumerFunction"][:2])
    assert "dynamodb:TransactWriteItems" in consumer["ProfileTable"]
    # ... and IAM checks each of its items: counters are updates, the tombstone a check.
    assert {"dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"} <= consumer["ProfileTable"]
    assert consumer["FeedsBucket/feeds/live/listens/*"] == {"s3:PutObject"}  # the archive
    skill = needed(*roles()["SkillFunction"][:2])
    assert skill["EventStream"] >= {"kinesis:PutRecords"}
    # Serving reads one item; an erasure (SkillDisabled) queries and deletes the listener's.
    assert skill["RecommendationTable"] == {"dynamodb:GetItem", *ERASE_LISTS}
    assert skill["IdentityTable"] >= {"dynamodb:GetItem", "dynamodb:TransactWriteItems"}
    # Roles that never erase are granted nothing for it.
    assert "dynamodb:Query" not in needed(*roles()["OfflineTaskRole"][:2])["RecommendationTable"]
    assert "dynamodb:DeleteItem" not in consumer["ProfileTable"]
    # The re-ranker only reads the bandit's arms; the consumer reads a marker and an arm
    # consistently and writes both in one transaction of puts; nobody else touches them.
    assert skill["PosteriorTable"] == {"dynamodb:BatchGetItem"}
    assert consumer["PosteriorTable"] == {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:TransactWriteItems",
    }
    assert "PosteriorTable" not in needed(*roles()["OfflineTaskRole"][:2])


def test_every_function_that_reads_or_records_posteriors_is_given_the_bandit_s_table() -> None:
    # Without PHILOMATH_BANDIT_URL a function would keep posteriors in a SQLite file under
    # /tmp, which the least-privilege check above cannot see: the serving functions would
    # re-rank over arms the consumer never feeds. One switch turns the bandit on for all.
    expected = {"Fn::Sub": "dynamodb://${PosteriorTable}"}
    operations = class_operations(*PORTS["PHILOMATH_BANDIT_URL"][1:3])
    posterior_calls = {m for m in operations if not m.startswith("_")} - {"close", "ensure_schema"}
    users = []
    for role, (entries, environment, _) in roles().items():
        modules = import_closure(entries, exclude=ADAPTER_MODULES)
        if not routes(entries):
            modules -= ROUTER_ONLY_MODULES
        if called_receivers(modules, {"posteriors"}) & posterior_calls and role in FUNCTIONS:
            users.append(role)
            assert environment.get("PHILOMATH_BANDIT_URL") == expected, role
            assert environment.get("PHILOMATH_BANDIT_ENABLED") == {"Ref": "BanditEnabled"}, role
    assert sorted(users) == ["ApiFunction", "ConsumerFunction", "SkillFunction"]
