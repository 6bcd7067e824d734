"""The Lambda entry with a fake Lambda context: built once, warm invocations reuse it, the
skill id is checked, warm-up pings cost nothing, and the environment builds it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from philomath.lambda_handler import from_environment
from philomath.wiring import ConfigurationError
from playback.directives import track_id_of
from skill.alexa import InvalidEnvelope, VerificationFailed, envelopes
from skill.lambda_entry import LambdaSkill, create_handler
from tests.fakes import World

SKILL_ID = envelopes.APPLICATION_ID
USER = "amzn1.ask.account.lambda"


@dataclass
class FakeLambdaContext:
    """The attributes of the context object Lambda's Python runtime passes."""

    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    function_name: str = "philomath-dev-skill"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:000000000000:function:philomath-dev-skill"

    def get_remaining_time_in_millis(self) -> int:
        return 7_500


class Builder:
    def __init__(self, world: World) -> None:
        self.world = world
        self.calls = 0

    def __call__(self) -> LambdaSkill:
        self.calls += 1
        return LambdaSkill(self.world.skill, frozenset([SKILL_ID]))


def play_request() -> dict[str, Any]:
    return envelopes.intent_request("PlayMusicIntent", {"Mood": "relaxing"}, USER)


def test_the_skill_is_built_once_and_reused_by_warm_invocations(world: World) -> None:
    build = Builder(world)
    handler = create_handler(build)
    first = handler(play_request(), FakeLambdaContext())
    second = handler(envelopes.launch_request(USER), FakeLambdaContext(aws_request_id="r-2"))
    assert build.calls == 1
    (directive,) = first["response"]["directives"]
    assert track_id_of(directive["audioItem"]["stream"]["token"]) == "t-relax-1"
    assert "Welcome" in second["response"]["outputSpeech"]["ssml"]


def test_a_request_for_another_skill_fails_the_invocation(world: World) -> None:
    handler = create_handler(Builder(world))
    envelope = play_request()
    envelope["context"]["System"]["application"]["applicationId"] = "amzn1.ask.skill.other"
    with pytest.raises(VerificationFailed):
        handler(envelope, FakeLambdaContext())


def test_an_invalid_envelope_fails_the_invocation(world: World) -> None:
    handler = create_handler(Builder(world))
    envelope = play_request()
    envelope["request"]["type"] = "Alexa.Teleport"
    with pytest.raises(InvalidEnvelope):
        handler(envelope, FakeLambdaContext())


def test_a_warm_up_ping_builds_nothing(world: World) -> None:
    build = Builder(world)
    handler = create_handler(build)
    assert handler({"source": "aws.events", "detail-type": "Scheduled Event"}, None) == {}
    assert build.calls == 0


def test_log_lines_carry_the_lambda_request_id(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    from skill.request_context import request_id

    seen: list[str | None] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(request_id.get())

    capture = Capture()
    logging.getLogger("skill.lambda_entry").addHandler(capture)
    try:
        envelope = play_request()
        envelope["context"]["System"]["application"]["applicationId"] = "amzn1.ask.skill.other"
        with pytest.raises(VerificationFailed):
            create_handler(Builder(world))(envelope, FakeLambdaContext(aws_request_id="aws-42"))
    finally:
        logging.getLogger("skill.lambda_entry").removeHandler(capture)
    assert seen == ["aws-42"]


def test_the_environment_builds_the_skill_on_the_embedded_defaults(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The world's SQLite files are where the default settings look for them.
    monkeypatch.setenv("PHILOMATH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PHILOMATH_ALEXA_SKILL_ID", SKILL_ID)
    monkeypatch.setenv("PHILOMATH_LOG_LEVEL", "WARNING")
    handler = create_handler(from_environment)
    answer = handler(play_request(), FakeLambdaContext())
    (directive,) = answer["response"]["directives"]
    assert track_id_of(directive["audioItem"]["stream"]["token"]) == "t-relax-1"
    # Signed stream URLs: the environment's wiring signs them.
    assert "sig=" in directive["audioItem"]["stream"]["url"]


def test_a_wrong_setting_fails_the_cold_start_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PHILOMATH_MEDIA_SIGNING_KEY", "short")
    with pytest.raises(ConfigurationError) as failed:
        create_handler(from_environment)(play_request(), FakeLambdaContext())
    assert str(failed.value) == "PHILOMATH_MEDIA_SIGNING_KEY: must be at least 16 bytes"
    assert "short" not in str(failed.value)  # a secret is never echoed


def test_in_aws_an_unset_media_key_fails_the_cold_start_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each instance would sign stream URLs with its own made-up key: refused, not guessed.
    monkeypatch.setenv("PHILOMATH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "philomath-dev-skill")
    monkeypatch.delenv("PHILOMATH_MEDIA_SIGNING_KEY", raising=False)
    with pytest.raises(ConfigurationError) as failed:
        create_handler(from_environment)(play_request(), FakeLambdaContext())
    assert str(failed.value).startswith("PHILOMATH_MEDIA_SIGNING_KEY: unset in AWS")
    assert "\n" not in str(failed.value)
