"""The training data (real corpora mapped to our labels, generated utterances), and a small
real fine-tuning run end to end: seeded, exported to ONNX, served without torch, registered,
promoted and loaded by the CLI; cross-validation keeps every fold's utterances out of its own
model."""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from nlu.joint_model import JointModel, JointModelUnavailable
from nlu.training import corpora, crossval
from nlu.training.config import TrainConfig
from nlu.training.corpora import load_corpus
from nlu.training.crossval import cross_validate, deal, names_of, training_set
from nlu.training.examples import (
    INTENT_LABELS,
    TAGS,
    LabeledUtterance,
    from_segments,
    tagged_spans,
)
from nlu.training.joint import export, train
from nlu.training.scoring import intent_correct, music_summary
from nlu.training.synthetic import generate
from philomath.settings import Settings
from recommender.models.registry import Manifest

TINY = TrainConfig(epochs=1, batch_size=16, seed=3, threads=1)


def test_snips_maps_every_utterance_with_service_words_kept_out_of_names() -> None:
    snips = load_corpus("snips")
    assert len(snips) == 3743
    assert Counter(u.intent for u in snips) == {"play_music": 1912,
                                                "out_of_scope:playlist_edit": 1831}  # fmt: skip
    first = snips[0]
    assert first.text == "I need to hear the song Aspro Mavro from Bill Szymczyk on Youtube"
    assert first.spans() == [("item_type", "song"), ("track", "aspro mavro"),
                             ("artist", "bill szymczyk"), ("service", "youtube")]  # fmt: skip


def test_slurp_maps_music_intents_and_says_why_the_rest_is_out_of_scope() -> None:
    slurp = load_corpus("slurp")
    assert len(slurp) == 2033
    by_source = {u.source_intent: u.intent for u in slurp}
    assert by_source["play_radio"] == "play_music"
    assert by_source["music_likeness"] == "like"
    assert by_source["music_query"] == "whats_playing"
    assert by_source["play_podcasts"] == "out_of_scope:podcast"
    assert by_source["audio_volume_mute"] == "out_of_scope:volume"
    assert by_source["weather_query"] == "out_of_scope:other"
    settings = {u.text: u.intent for u in slurp if u.source_intent == "music_settings"}
    assert settings["turn on repeat"] == "loop_on"
    assert all(u.intent in INTENT_LABELS and len(u.words) == len(u.tags) for u in slurp)


def test_the_vendored_corpora_carry_their_licenses() -> None:
    names = {p.name for p in corpora.CORPORA_DIR.iterdir()}
    assert {"LICENSE-snips.txt", "LICENSE-slurp.txt", "ATTRIBUTION.txt"} <= names
    assert "Bastianelli" in (corpora.CORPORA_DIR / "ATTRIBUTION.txt").read_text()


def test_spans_follow_bio_tags() -> None:
    utterance = from_segments([("play ", None), ("Yo Ho", "track"), (" by ", None),
                               ("The Pops", "artist")], "play_music", "t", "t")  # fmt: skip
    assert utterance.tags == ("O", "B-track", "I-track", "O", "B-artist", "I-artist")
    assert tagged_spans(["a", "b", "c"], ["I-artist", "I-artist", "B-artist"]) == [
        ("artist", "a b"), ("artist", "c")]  # fmt: skip
    with pytest.raises(ValueError, match="unknown intent"):
        from_segments([("x", None)], "dance", "t", "t")


def test_generated_utterances_use_only_the_names_given() -> None:
    generated = generate({"artist": ["zz top"], "track": ["la grange"]}, seed=1)
    assert generate({"artist": ["zz top"], "track": ["la grange"]}, seed=1) == generated
    named = {text for u in generated for kind, text in u.spans() if kind in ("artist", "track")}
    assert named <= {"zz top", "la grange"}
    labels = Counter(u.intent for u in generated)
    for needed in ("like", "dislike", "whats_playing", "shuffle_on", "out_of_scope:podcast",
                   "out_of_scope:audiobook", "out_of_scope:volume", "pause"):  # fmt: skip
        assert labels[needed] > 0, needed


def test_folds_partition_the_data_and_names_stay_in_their_fold() -> None:
    fold_of = deal(10, 3, seed=0)
    assert sorted(Counter(fold_of).values()) == [3, 3, 4]
    with pytest.raises(ValueError):
        deal(3, 5, seed=0)
    kept = load_corpus("snips")[:50]
    assert set(names_of(kept)["artist"]) <= {t for u in kept for k, t in u.spans() if k == "artist"}


def test_a_settings_request_may_get_any_setting_and_other_domains_a_fallback() -> None:
    assert intent_correct("loop_on", "repeat")
    assert intent_correct("out_of_scope:other", "fallback")
    assert not intent_correct("out_of_scope:podcast", "play_music")


@pytest.fixture(scope="module")
def small_data() -> list[LabeledUtterance]:
    snips, slurp = load_corpus("snips"), load_corpus("slurp")
    return [*snips[:40], *snips[-20:], *[u for u in slurp if u.source_intent in
            ("play_music", "play_podcasts", "audio_volume_up", "weather_query")][:40]]  # fmt: skip


@pytest.fixture(scope="module")
def artifact(small_data: list[LabeledUtterance], tmp_path_factory: pytest.TempPathFactory) -> Path:
    model = train(training_set(small_data, seed=0)[:160], TINY)
    return export(model, tmp_path_factory.mktemp("nlu-model") / "m", config=TINY, extra={})


def test_a_trained_model_serves_from_onnx_with_a_tag_per_word(artifact: Path) -> None:
    assert {"model.onnx", "tokenizer.json", "labels.json", "meta.json"} <= {
        p.name for p in artifact.iterdir()}  # fmt: skip
    labels = json.loads((artifact / "labels.json").read_text())
    assert labels == {"intents": list(INTENT_LABELS), "tags": list(TAGS)}
    words = ["play", "some", "jazz", "by", "the", "new", "york", "pops", "on", "spotify"]
    prediction = JointModel(artifact).predict(words)
    assert prediction.intent in INTENT_LABELS and 0 < prediction.probability <= 1
    assert len(prediction.tags) == len(words) and set(prediction.tags) <= set(TAGS)
    long = ["word"] * 200  # beyond the model's token budget: cut, tagged "O"
    assert len(JointModel(artifact).predict(long).tags) == 200


def test_training_is_reproducible_with_its_seed(
    small_data: list[LabeledUtterance], artifact: Path, tmp_path: Path
) -> None:
    again = export(train(training_set(small_data, seed=0)[:160], TINY), tmp_path / "m",
                   config=TINY, extra={})  # fmt: skip
    words = ["play", "yo", "ho", "from", "the", "new", "york", "pops"]
    assert JointModel(again).predict(words) == JointModel(artifact).predict(words)


def test_a_missing_artifact_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(JointModelUnavailable, match="cannot load the NLU model"):
        JointModel(tmp_path).predict(["play"])


def test_cross_validation_scores_every_utterance_once_and_reuses_its_fold_models(
    small_data: list[LabeledUtterance], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = small_data[:60] + small_data[-20:]
    reports = cross_validate(folds=2, config=TINY, utterances=data, fold_models=tmp_path)
    assert sum(r.utterances for r in reports.values()) == 80
    assert set(reports) == {"snips", "snips_addtoplaylist", "slurp"}
    assert set(music_summary(reports["slurp"])) == {"music_intent_accuracy",
                                                    "not_music_started_music"}  # fmt: skip
    assert len(list(tmp_path.glob("fold-*"))) == 2

    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("the kept fold models should have been reused")

    monkeypatch.setattr(crossval, "train", no_training)
    again = cross_validate(folds=2, config=TINY, utterances=data, fold_models=tmp_path)
    assert {k: r.as_dict() for k, r in again.items()} == {
        k: r.as_dict() for k, r in reports.items()
    }
    with pytest.raises(AssertionError, match="reused"):  # other data: another model
        cross_validate(folds=2, config=TINY, utterances=data[:-1], fold_models=tmp_path)


def test_nlu_train_registers_promotes_and_parse_loads_it(
    small_data: list[LabeledUtterance],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from philomath.cli import main

    monkeypatch.setenv("PHILOMATH_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(corpora, "real_corpora", lambda: small_data[:30])
    runner = CliRunner()
    trained = runner.invoke(main, ["nlu", "train", "--epochs", "1", "--seed", "3"])
    assert trained.exit_code == 0, trained.output
    run = json.loads(trained.stdout)["run"]
    manifest = json.loads(
        (tmp_path / "work/nlu-models/nlu-joint.v1" / run / "manifest.json").read_text()
    )
    assert manifest["params"]["seed"] == 3 and manifest["data"]["rows"]["real"] == 30
    parsed = runner.invoke(main, ["nlu", "parse", "--no-embeddings", "play the daily podcast"])
    assert parsed.exit_code == 0, parsed.output
    assert json.loads(parsed.stdout)["intent"] in ("play_music", "out_of_scope", "fallback")


def test_the_pipeline_trains_the_nlu_model_once_per_training_data(
    small_data: list[LabeledUtterance], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from philomath import nlu_model

    monkeypatch.setattr(corpora, "real_corpora", lambda: small_data[:20])
    settings = Settings(data_dir=tmp_path)
    first = nlu_model.ensure_nlu_model(settings, TINY)
    assert first is not None
    assert nlu_model.ensure_nlu_model(settings, TINY) == first  # same data: not retrained
    assert nlu_model.promoted_nlu_model(settings) == (
        tmp_path / "work/nlu-models" / first.name / first.run / "artifact")  # fmt: skip
    monkeypatch.setattr(nlu_model, "training_data_digest", lambda: "changed")
    again = nlu_model.ensure_nlu_model(settings, TINY)
    assert again is not None and again.run != first.run
    shallower = nlu_model.ensure_nlu_model(settings, dataclasses.replace(TINY, layers=2))
    assert shallower is not None and shallower.run != again.run  # a new depth: retrained
    assert shallower.params["layers"] == 2
    assert nlu_model.promoted_nlu_model(settings) == artifact_of(shallower, settings).parent
    assert _encoder_layers(artifact_of(shallower, settings)) == 2
    assert _encoder_layers(artifact_of(again, settings)) == 6


def artifact_of(manifest: Manifest, settings: Settings) -> Path:
    return settings.work_dir / "nlu-models" / manifest.name / manifest.run / "artifact/model.onnx"


def _encoder_layers(graph: Path) -> int:
    """How many transformer layers the exported graph runs (its nodes name them)."""
    import onnx

    return len({m.group(1) for node in onnx.load(str(graph)).graph.node
                for m in [re.search(r"layer\.(\d+)/", node.name)] if m})  # fmt: skip


def test_an_encoder_depth_out_of_range_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="layers must be 1 to 6"):
        train([], dataclasses.replace(TINY, layers=7))
