"""The CloudFormation template is valid and agrees with the adapters' key schemas."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
