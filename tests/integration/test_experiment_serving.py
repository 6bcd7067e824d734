"""An A/B experiment end to end, as ``build_online`` wires it: declared in
``PHILOMATH_EXPERIMENTS_FILE`` (the bandit re-ranker off against on), served through the REST
API and POST /alexa to many listeners, its variants carried by the served attribution into
the play events, and read back by ``philomath experiment report NAME --json``."""

from __future__ import annotations

import json
import math
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from pydantic import SecretStr

from philomath.cli import main
from philomath.settings import Settings
from philomath.wiring import ConfigurationError, Online, build_online
from recommender.batch.promoted_model import promoted_version
from recommender.experiments.assignment import ConfiguredAssigner
from recommender.experiments.config import Experiment
from recommender.models.registry import ModelRegistry
from skill.alexa import envelopes, handle_envelope
from tests.integration.api_client import bearer

NAME = "bandit-ab"
KEY = f"exp.{NAME}"
ME = "/v1/users/me"
LISTENERS = [f"usr-ab-{i:04d}" for i in range(240)]  # none of them in the pipeline's feeds
DECLARED = {
    "experiments": [
        {
            "name": NAME,
            "salt": "bandit-ab-2026-12",
            "status": "running",
            "started_at": "2026-12-01T00:00:00Z",
            "traffic": 0.8,
            "variants": [
                {"name": "ranked", "weight": 1, "overrides": {"bandit": "off"}},
                {
                    "name": "bandit",
                    "weight": 1,
                    "overrides": {"bandit": "on", "bandit_exploration": "0.2"},
                },
            ],
            "primary_metric": "completion_rate",
        }
    ]
}


def token(listener: str) -> str:
    return f"tok-{listener}"


@pytest.fixture(scope="module")
def settings(tiny_pipeline: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir = tmp_path_factory.mktemp("experiment") / "var"
    shutil.copytree(tiny_pipeline, data_dir)
    declared = data_dir / "experiments.json"
    declared.write_text(json.dumps(DECLARED), encoding="utf-8")
    return Settings(
        data_dir=data_dir,
        experiments_file=declared,
        verify_alexa_signatures=False,
        api_tokens=SecretStr(json.dumps({token(u): u for u in LISTENERS})),
        log_level="WARNING",
    )


@pytest.fixture(scope="module")
def online(settings: Settings) -> Iterator[Online]:
    built = build_online(settings)
    yield built
    built.close()


@pytest.fixture(scope="module")
def client(online: Online) -> Iterator[TestClient]:
    with TestClient(online.app) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def assigned() -> dict[str, str | None]:
    """The variant each listener is declared to get (None: outside the traffic share)."""
    experiment = Experiment.model_validate(DECLARED["experiments"][0])
    assigner = ConfiguredAssigner([experiment])
    return {u: next((a.variant for a in assigner.assign(u)), None) for u in LISTENERS}


def rest_listen(client: TestClient, listener: str, finish: bool) -> dict[str, Any]:
    """A page of recommendations, then a play of its first track sent back as events."""
    auth = bearer(token(listener))
    page = client.get(f"{ME}/recommendations", params={"limit": 3}, headers=auth)
    assert page.status_code == 200, page.text
    item = page.json()["items"][0]
    ending = "finished" if finish else "skipped"
    events = [
        {"kind": kind, "track_id": item["track_id"], "served": item["served"]}
        for kind in ("started", ending)
    ]
    sent = client.post(f"{ME}/events", json={"events": events}, headers=auth)
    assert sent.status_code == 202, sent.text
    served: dict[str, Any] = item["served"]
    return served


def alexa_listen(online: Online, listener: str, finish: bool) -> dict[str, Any]:
    """ "Alexa, play something relaxing" from a linked account, then the device's reports;
    what served the track, as the play event recorded it."""

    def linked(envelope: dict[str, Any]) -> dict[str, Any]:
        return envelopes.linked(envelope, token(listener))

    account = f"amzn1.ask.account.{listener}"
    body = handle_envelope(
        online.skill,
        linked(envelopes.intent_request("PlayMusicIntent", {"Mood": "relaxing"}, account)),
    )
    (play,) = [d for d in body["response"]["directives"] if d["type"] == "AudioPlayer.Play"]
    stream_token = play["audioItem"]["stream"]["token"]
    ending = "PlaybackFinished" if finish else "PlaybackStopped"
    for report in ("PlaybackStarted", ending):
        handle_envelope(
            online.skill,
            linked(envelopes.audio_player_request(report, stream_token, 1000, account)),
        )
    started = [
        r.event
        for r in online.backends.events.read(None, limit=10_000)
        if r.event.user_id == listener and r.event.kind == "started"
    ]
    assert started and started[-1].served is not None
    return started[-1].served.model_dump(mode="json")


def test_the_experiment_is_served_split_exposed_and_reported(
    settings: Settings,
    online: Online,
    client: TestClient,
    assigned: dict[str, str | None],
) -> None:
    served: dict[str, dict[str, Any]] = {}
    for index, listener in enumerate(LISTENERS):
        finish = index % 3 != 0
        if index % 2:
            served[listener] = alexa_listen(online, listener, finish)
        else:
            served[listener] = rest_listen(client, listener, finish)

    # The served attribution names the declared variant, and only inside the traffic share.
    for listener, attribution in served.items():
        assert attribution["context"].get(KEY) == assigned[listener], listener
    # The variant's overrides applied: the bandit explores (no placement of its top is
    # certain), the others get the list as ranked (every placement certain).
    for listener, attribution in served.items():
        propensities = attribution["propensities"]
        if assigned[listener] == "bandit":
            assert len(propensities) > 1 and max(propensities) < 1.0
        else:
            assert propensities == [1.0]

    # The split is as configured: 80% in, half each (four standard deviations of slack).
    split = Counter(assigned.values())
    inside = split["ranked"] + split["bandit"]
    assert abs(inside / len(LISTENERS) - 0.8) < 4 * math.sqrt(0.8 * 0.2 / len(LISTENERS))
    assert abs(split["bandit"] / inside - 0.5) < 4 * math.sqrt(0.25 / inside)
    assert split[None] > 0

    # The same listener always gets the same variant, through either front door.
    for listener in LISTENERS[:12]:
        again = alexa_listen(online, listener, True)
        assert again["context"].get(KEY) == assigned[listener]
        assert rest_listen(client, listener, True)["context"].get(KEY) == assigned[listener]

    # The events reached the analysis: every exposed listener counted once, in their variant.
    result = CliRunner().invoke(
        main,
        ["experiment", "report", NAME, "--json"],
        env={
            "PHILOMATH_DATA_DIR": str(settings.data_dir),
            "PHILOMATH_EXPERIMENTS_FILE": str(settings.experiments_path),
            "PHILOMATH_LOG_LEVEL": "WARNING",
        },
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["listeners"] == {"ranked": split["ranked"], "bandit": split["bandit"]}
    assert report["blocked"] is None and report["srm_p_value"] > 0.001
    assert report["crossed_over"] == 0
    for variant in ("ranked", "bandit"):
        completion = report["metrics"]["completion_rate"][variant]
        assert completion["listeners"] == split[variant] and 0 < completion["value"] < 1


def test_editing_a_started_experiment_is_refused_at_start_in_one_line(
    settings: Settings, online: Online
) -> None:
    assert online.backends.experiments is not None  # started: the lock is written
    changed = json.loads(json.dumps(DECLARED))
    changed["experiments"][0]["variants"][1]["weight"] = 3
    settings.experiments_path.write_text(json.dumps(changed), encoding="utf-8")
    try:
        with pytest.raises(ConfigurationError) as refused:
            build_online(settings)
        message = str(refused.value)
        assert "\n" not in message
        assert message.startswith(f"PHILOMATH_EXPERIMENTS_FILE: experiment {NAME!r} has started")
        result = CliRunner().invoke(
            main,
            ["serve", "--port", "1"],
            env={
                "PHILOMATH_DATA_DIR": str(settings.data_dir),
                "PHILOMATH_EXPERIMENTS_FILE": str(settings.experiments_path),
                "PHILOMATH_VERIFY_ALEXA_SIGNATURES": "false",
                "PHILOMATH_LOG_LEVEL": "ERROR",
            },
        )
        assert result.exit_code == 2
        assert result.stderr.strip() == f"philomath: {message}"
    finally:
        settings.experiments_path.write_text(json.dumps(DECLARED), encoding="utf-8")


def test_a_variant_serves_the_model_version_batch_staged_for_it(
    tiny_pipeline: Path, tmp_path: Path
) -> None:
    data_dir = tmp_path / "var"
    shutil.copytree(tiny_pipeline, data_dir)
    models = data_dir / "work" / "models"
    promoted = promoted_version(models)
    other = next(m.name for m in ModelRegistry(models).models() if m.name != promoted)
    declared = {
        "experiments": [
            {
                "name": "models",
                "salt": "models-1",
                "status": "running",
                "started_at": "2026-12-01T00:00:00Z",
                "variants": [
                    {"name": "promoted", "weight": 1},
                    {"name": "other", "weight": 1, "overrides": {"model_version": other}},
                ],
            }
        ]
    }
    (data_dir / "experiments.json").write_text(json.dumps(declared), encoding="utf-8")
    listeners = [f"usr-{i:07d}" for i in range(30)]  # the tiny pipeline's
    settings = Settings(
        data_dir=data_dir,
        api_tokens=SecretStr(json.dumps({token(u): u for u in listeners})),
        log_level="WARNING",
    )
    variant_of = {
        u: a.variant
        for u in listeners
        for a in ConfiguredAssigner([Experiment.model_validate(declared["experiments"][0])]).assign(
            u
        )
    }
    assert set(variant_of.values()) == {"promoted", "other"}

    def served_by(online: Online) -> dict[str, dict[str, Any]]:
        with TestClient(online.app) as client:
            found = {}
            for listener in listeners:
                page = client.get(
                    f"{ME}/recommendations", params={"limit": 1}, headers=bearer(token(listener))
                ).json()
                if page["path"] == "personalized":  # from the listener's own stored list
                    found[listener] = page["items"][0]["served"]
        return found

    before = build_online(settings)  # nothing staged yet: the variant cannot serve
    try:
        unstaged = served_by(before)
    finally:
        before.close()
    assert unstaged
    for listener, served in unstaged.items():
        assert served["model_version"] == promoted
        exposed = variant_of[listener] == "promoted"
        assert served["context"].get("exp.models") == ("promoted" if exposed else None)

    env = {"PHILOMATH_DATA_DIR": str(data_dir), "PHILOMATH_LOG_LEVEL": "WARNING"}
    staged = CliRunner().invoke(main, ["batch", "--experiment-model", other], env=env)
    assert staged.exit_code == 0, staged.output
    assert json.loads(staged.stdout)["mode"] == "experiment"
    after = build_online(settings)
    try:
        found = served_by(after)
    finally:
        after.close()
    assert {variant_of[u] for u in found} == {"promoted", "other"}
    for listener, served in found.items():
        variant = variant_of[listener]
        assert served["context"]["exp.models"] == variant
        assert served["model_version"] == (other if variant == "other" else promoted)
