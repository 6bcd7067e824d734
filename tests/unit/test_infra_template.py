"""The CloudFormation template is valid and agrees with the adapters' key schemas: each
DynamoDB table, created in moto from the template's own properties, is the table its adapter
creates locally, and the bandit's posterior store runs on it as declared."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from cfnlint.decode import decode

from listening.dynamodb_identity import DynamoDBIdentityStore
from listening.dynamodb_routines import DynamoDBRoutineStore
from playback.dynamodb_queue import DynamoDBQueueStore
from recommender.feedback.bandit_feedback import decaying_fold
from recommender.storage.dynamodb_posteriors import DynamoDBPosteriorStore
from recommender.storage.dynamodb_profiles import DynamoDBProfileStore
from recommender.storage.dynamodb_recommendations import DynamoDBRecommendationStore
from recommender.storage.posteriors import Evidence, Posterior

TEMPLATE = Path(__file__).resolve().parents[2] / "infra" / "template.yaml"


def test_cfn_lint_finds_no_problem() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), str(TEMPLATE)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_tables_use_the_adapters_keys() -> None:
    text = TEMPLATE.read_text()
    # storage/dynamodb_recommendations.py: user_id (HASH) + context (RANGE), TTL on `ttl`.
    assert "{ AttributeName: context, KeyType: RANGE }" in text
    assert "TimeToLiveSpecification: { AttributeName: ttl, Enabled: true }" in text


def test_the_device_queue_table_uses_the_adapter_s_key() -> None:
    text = TEMPLATE.read_text()
    # playback/dynamodb_queue.py: key (HASH), TTL on `ttl`; the Lambda reads its URL.
    assert "{ AttributeName: key, KeyType: HASH }" in text
    assert "PHILOMATH_QUEUE_URL: !Sub dynamodb://${DeviceQueueTable}" in text


# -- the DynamoDB tables, created in moto from the template's own properties ----------------


def _resources() -> dict[str, Any]:
    loaded, problems = decode(str(TEMPLATE))
    assert not problems and loaded is not None
    # Plain dicts and strings (cfn-lint's nodes carry their line numbers) for botocore.
    resources: dict[str, Any] = json.loads(json.dumps(loaded["Resources"]))
    return resources


def _create_as_declared(client: Any, logical_id: str, name: str) -> None:
    """The table ``logical_id`` as CloudFormation would make it: keys, indexes, billing, TTL."""
    props = _resources()[logical_id]["Properties"]
    indexes = {
        option: props[option]
        for option in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes")
        if option in props
    }
    client.create_table(
        TableName=name,
        KeySchema=props["KeySchema"],
        AttributeDefinitions=props["AttributeDefinitions"],
        BillingMode=props["BillingMode"],
        **indexes,
    )
    if "TimeToLiveSpecification" in props:
        ttl = props["TimeToLiveSpecification"]
        client.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={
                "Enabled": ttl["Enabled"],
                "AttributeName": ttl["AttributeName"],
            },
        )


def _shape(client: Any, name: str) -> dict[str, Any]:
    """What a table's adapter depends on: keys, attribute types, indexes, billing, TTL."""
    table = client.describe_table(TableName=name)["Table"]
    ttl = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    return {
        "keys": table["KeySchema"],
        "types": sorted(table["AttributeDefinitions"], key=lambda a: a["AttributeName"]),
        "global_indexes": sorted(i["IndexName"] for i in table.get("GlobalSecondaryIndexes", [])),
        "local_indexes": sorted(i["IndexName"] for i in table.get("LocalSecondaryIndexes", [])),
        "billing": table["BillingModeSummary"]["BillingMode"],
        "ttl": ttl.get("AttributeName") if ttl["TimeToLiveStatus"] == "ENABLED" else None,
    }


# Logical id -> the adapter whose ``ensure_schema`` creates that table locally (and the
# table's name relative to the one the adapter is given).
ADAPTERS: dict[str, tuple[Callable[[Any, str], Any], str]] = {
    "RecommendationTable": (DynamoDBRecommendationStore, "{}"),
    "ProfileTable": (DynamoDBProfileStore, "{}"),
    "FeedbackTable": (DynamoDBProfileStore, "{}-feedback"),
    "DeviceQueueTable": (DynamoDBQueueStore, "{}"),
    "IdentityTable": (DynamoDBIdentityStore, "{}"),
    "RoutineTable": (DynamoDBRoutineStore, "{}"),
    "PosteriorTable": (DynamoDBPosteriorStore, "{}"),
}


def test_every_dynamodb_table_of_the_template_has_its_adapter() -> None:
    tables = {n for n, r in _resources().items() if r["Type"] == "AWS::DynamoDB::Table"}
    assert tables == set(ADAPTERS)


@pytest.mark.parametrize("logical_id", sorted(ADAPTERS))
def test_the_template_declares_the_table_its_adapter_creates(
    aws_env: None, logical_id: str
) -> None:
    # Locally the adapter creates its table (PHILOMATH_ENSURE_SCHEMA); deployed, the
    # template does: the two must agree on everything the adapter's requests depend on.
    client = boto3.client("dynamodb", region_name="us-east-1")
    adapter, naming = ADAPTERS[logical_id]
    adapter(client, "by-adapter").ensure_schema()
    _create_as_declared(client, logical_id, naming.format("by-template"))
    assert _shape(client, naming.format("by-template")) == _shape(
        client, naming.format("by-adapter")
    )


@pytest.fixture
def declared_posteriors(aws_env: None) -> Any:
    """A DynamoDB client on moto with the template's PosteriorTable, named ``posteriors``."""
    client = boto3.client("dynamodb", region_name="us-east-1")
    _create_as_declared(client, "PosteriorTable", "posteriors")
    return client


def test_the_posterior_store_runs_on_the_declared_table(declared_posteriors: Any) -> None:
    # No ensure_schema: deployed functions never create (PHILOMATH_ENSURE_SCHEMA=false).
    store = DynamoDBPosteriorStore(declared_posteriors, "posteriors")
    now = time.time()
    evidence = [
        Evidence("e1", "popular|||", "t1", 1.0, 0.0, now),
        Evidence("e2", "popular|||", "t1", 0.0, 1.0, now),
        Evidence("e3", "personalized|relaxing||evening", "t2", 1.0, 0.0, now),
    ]
    fold = decaying_fold(half_life_days=14)
    assert store.record(evidence, fold) == 3
    assert store.record(evidence[:1], fold) == 0  # a redelivered event: its marker is there
    assert store.read("popular|||", ["t1", "t2"]) == {"t1": Posterior(2.0, 2.0, now)}
    assert store.read("personalized|relaxing||evening", ["t2"])["t2"].alpha == 2.0
    store.ensure_schema()  # `philomath schema ensure` finds it as it would have made it


def test_only_the_posterior_store_s_event_markers_expire(declared_posteriors: Any) -> None:
    # The table expires items on its TTL attribute: the markers carry it (in epoch seconds,
    # in the future), the arms must not, or the bandit would forget what it learned.
    store = DynamoDBPosteriorStore(declared_posteriors, "posteriors")
    now = time.time()
    store.record([Evidence("e1", "popular|||", "t1", 1.0, 0.0, now)], decaying_fold(14))
    ttl = _resources()["PosteriorTable"]["Properties"]["TimeToLiveSpecification"]
    assert ttl["Enabled"] is True
    items = declared_posteriors.scan(TableName="posteriors")["Items"]
    by_kind = {item["pk"]["S"].split("#")[0]: item for item in items}
    assert set(by_kind) == {"arm", "event"}
    assert ttl["AttributeName"] not in by_kind["arm"]
    assert float(by_kind["event"][ttl["AttributeName"]]["N"]) > now
