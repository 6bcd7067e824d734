"""Identity as ``build_online`` wires it (embedded defaults, an empty data folder): the skill
resolves listeners through the identity store and the API's authenticator, refuses a forged
token with the LinkAccount card, and both SkillDisabled and ``DELETE /v1/users/me`` erase."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from listening.identity import LISTENER_PREFIX, account_key
from philomath.settings import Settings
from philomath.wiring import Online, build_online
from skill.alexa import envelopes, handle_envelope

ACCOUNT = "amzn1.ask.account.wired"
TOKEN, LINKED = "tok-wired", "usr-wired"
PLAYING = "t1.0badf00d.t-any"


@pytest.fixture
def online(tmp_path: Path) -> Iterator[Online]:
    settings = Settings(
        data_dir=tmp_path,
        verify_alexa_signatures=False,
        api_tokens=SecretStr(json.dumps({TOKEN: LINKED})),
        log_level="WARNING",
    )
    built = build_online(settings)
    yield built
    built.close()


def started_by(online: Online, envelope: dict[str, object]) -> str:
    """The listener of the play event a PlaybackStarted envelope records."""
    handle_envelope(online.skill, envelope)
    records = online.backends.events.read(None, limit=100)
    return records[-1].event.user_id


def test_the_online_path_resolves_refuses_and_erases(online: Online) -> None:
    started = envelopes.audio_player_request("PlaybackStarted", PLAYING, 0, ACCOUNT)
    minted = started_by(online, started)
    assert minted.startswith(LISTENER_PREFIX)
    assert online.backends.identity.listeners_of(account_key(ACCOUNT)) == [minted]
    assert started_by(online, envelopes.linked(started, TOKEN)) == LINKED

    forged = envelopes.linked(envelopes.launch_request(ACCOUNT), "forged")
    answer = handle_envelope(online.skill, forged)["response"]
    assert answer["card"] == {"type": "LinkAccount"} and "directives" not in answer

    disabled = envelopes.launch_request(ACCOUNT)
    disabled["request"] = {**disabled["request"], "type": "AlexaSkillEvent.SkillDisabled"}
    del disabled["session"]
    handle_envelope(online.skill, disabled)
    assert online.backends.identity.listeners_of(account_key(ACCOUNT)) == []

    with TestClient(online.app) as client:
        gone = client.delete("/v1/users/me", headers={"Authorization": f"Bearer {TOKEN}"})
    assert gone.status_code == 204
