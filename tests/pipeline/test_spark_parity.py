"""The distributed path against the single-machine one, on a small generated feed.

Spark runs locally (``local[2]``), one session for the module. Java and pyspark are required:
without them these tests fail, they do not skip (the Spark path is part of CI).

- Same factors, same lists: Spark's batch inference and the single-machine ``ListBuilder``
  give every listener the same overall list from the exported ALS factors.
- Lists: every listener has one, of the right length and format, without a track they
  played, and without explicit tracks for listeners who do not allow them.
- Quality: on a seeded held-out split, Spark's ALS is on par with the single-machine iALS
  (recall@10 and NDCG@10 within a tolerance) and far above popularity.
- The whole job: the exported model is registered, promoted and loadable by batch
  inference; the store's new snapshot holds the Parquet lists and the charts.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp

from recommender.batch.lists import ListBuilder, ListSettings
from recommender.batch.promoted_model import ModelLists, load_promoted_model
from recommender.data.etl import unified
from recommender.data.etl.engines import local_spark_session, require_java
from recommender.data.etl.run import run_etl
from recommender.data.generator.feeds import generate_feeds
from recommender.data.interactions import Interactions
from recommender.data.sparse import user_items_matrix
from recommender.distributed.als import ALSParams, as_ials_model, fit_als
from recommender.distributed.job import run_spark_job
from recommender.distributed.lists import read_lists, top_lists
from recommender.distributed.plays import read_plays
from recommender.errors import DataError
from recommender.evaluation.metrics import ranking_metrics
from recommender.evaluation.splits import holdout_split
from recommender.models.ials import IALSModel
from recommender.models.popularity import MostPopularModel
from recommender.models.registry import ModelRegistry
from recommender.models.weighting import Weighting
from recommender.storage.recommendations import POPULAR_USER
from recommender.storage.sqlite_recommendations import SqliteRecommendationStore

N = 20
FAST = ALSParams(factors=16, iterations=8, seed=3, blocks=2)


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    require_java()  # DataError: fails the tests, never skips them
    session = local_spark_session(cores=2, memory="2g")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("spark-parity")
    generate_feeds(root / "raw", users=250, tracks=1_500, events=30_000, seed=11, progress=False)
    run_etl(root / "raw", root / "work", progress=False)  # DuckDB: the ETL has its own test
    return root


@pytest.fixture(scope="module")
def fitted(spark: Any, work: Path) -> tuple[Any, Any, IALSModel]:
    plays = read_plays(spark, work / "work" / "unified")
    n_users, n_tracks = plays.sizes()
    als = fit_als(plays.ratings, FAST)
    return plays, als, as_ials_model(als, n_users, n_tracks, FAST)


def test_same_factors_give_the_single_machine_lists(
    fitted: tuple[Any, Any, IALSModel], work: Path
) -> None:
    plays, als, model = fitted
    spark_lists = {
        row["user_id"]: row
        for row in top_lists(
            plays, als.userFactors, model.item_factors, n=N, version=model.version, generated_at=1.0
        ).collect()
    }
    unified_dir = work / "work" / "unified"
    log = Interactions.from_unified(unified_dir)
    builder = ListBuilder(
        ModelLists(model, user_items_matrix(log)),
        log,
        list(unified.tracks(unified_dir)),
        ListSettings(per_user=N),
        1.0,
    )
    profiles = {p.user_id: p for p in unified.profiles(unified_dir)}
    users = np.arange(len(log.user_ids), dtype=np.int64)
    single = [item for item in builder.user_lists(users, profiles) if item.context == "all"]
    assert len(single) == len(spark_lists) == len(log.user_ids)
    same = 0
    for item in single:
        other = spark_lists[item.user_id]
        assert other["model_version"] == item.model_version == "ials.v1"
        assert other["context"] == item.context
        np.testing.assert_allclose(other["scores"], item.scores, atol=2e-6)
        same += list(other["track_ids"]) == list(item.track_ids)
    # Scores agree to the stored six decimals; only ties within them may swap places.
    assert same >= 0.98 * len(single), f"{same} of {len(single)} lists identical"


def test_every_listener_gets_a_full_list_of_unheard_allowed_tracks(
    fitted: tuple[Any, Any, IALSModel], work: Path
) -> None:
    plays, als, model = fitted
    rows = top_lists(
        plays, als.userFactors, model.item_factors, n=N, version=model.version, generated_at=1.0
    ).collect()
    unified_dir = work / "work" / "unified"
    log = Interactions.from_unified(unified_dir)
    heard = log.seen()
    index = {str(u): i for i, u in enumerate(log.user_ids)}
    explicit = {t.track_id for t in unified.tracks(unified_dir) if t.explicit}
    restricted = {p.user_id for p in unified.profiles(unified_dir) if not p.explicit_allowed}
    assert sorted(r["user_id"] for r in rows) == sorted(index)
    assert restricted, "the feed has no restricted listener: the ban is untested"
    for row in rows:
        tracks = list(row["track_ids"])
        assert len(tracks) == len(set(tracks)) == N
        assert list(row["scores"]) == sorted(row["scores"], reverse=True)
        played = {str(log.track_ids[i]) for i in heard.row(index[row["user_id"]])}
        assert not played & set(tracks), row["user_id"]
        if row["user_id"] in restricted:
            assert not explicit & set(tracks), row["user_id"]


def _recall_ndcg(model: Any, train: sp.csr_matrix, test: sp.csr_matrix) -> tuple[float, float]:
    users = np.flatnonzero(np.diff(test.indptr) > 0)
    ids, _ = model.recommend(users, train[users], n=10)
    means = ranking_metrics(ids, test[users], 10).means()
    return means["recall@10"], means["ndcg@10"]


def test_quality_on_held_out_plays_is_on_par_with_single_machine_ials(
    spark: Any, work: Path
) -> None:
    log = Interactions.from_unified(work / "work" / "unified")
    matrix = user_items_matrix(log)
    split = holdout_split(matrix, 0.2, seed=0)
    weighted = Weighting("log1p").apply(split.train).tocoo()
    ratings = spark.createDataFrame(
        list(
            zip(weighted.row.tolist(), weighted.col.tolist(), weighted.data.tolist(), strict=True)
        ),
        "user_idx int, track_idx int, rating double",
    )
    params = ALSParams(factors=32, iterations=10, seed=0, blocks=2)
    n_users, n_tracks = matrix.shape
    on_spark = as_ials_model(fit_als(ratings, params), n_users, n_tracks, params)
    single = IALSModel(factors=32, iterations=10, seed=0).fit(split.train)
    popular = MostPopularModel().fit(split.train)
    spark_recall, spark_ndcg = _recall_ndcg(on_spark, split.train, split.test)
    ials_recall, ials_ndcg = _recall_ndcg(single, split.train, split.test)
    pop_recall, pop_ndcg = _recall_ndcg(popular, split.train, split.test)
    figures = (
        f"recall/ndcg@10: spark {spark_recall:.4f}/{spark_ndcg:.4f}, "
        f"ials {ials_recall:.4f}/{ials_ndcg:.4f}, popularity {pop_recall:.4f}/{pop_ndcg:.4f}"
    )
    assert spark_ndcg >= 0.85 * ials_ndcg, figures
    assert spark_recall >= 0.85 * ials_recall, figures
    assert spark_ndcg >= 1.3 * pop_ndcg, figures


def test_the_job_registers_a_servable_model_and_publishes_its_lists(spark: Any, work: Path) -> None:
    work_dir = work / "work"
    store = SqliteRecommendationStore(work / "recs.db")
    lines: list[str] = []
    try:
        report = run_spark_job(
            spark,
            raw_dir=work / "raw",
            work_dir=work_dir,
            params=FAST,
            per_user=N,
            store=store,
            run_etl_step=False,
            progress=lines.append,
        )
        assert [line.split(":")[0] for line in lines[::2]] == [
            "spark train",
            "spark export",
            "spark lists",
            "spark publish",
        ]
        assert list(report.timings) == ["train", "export", "lists", "publish"]
        manifest = ModelRegistry(work_dir / "models").promoted()
        assert manifest is not None and f"{manifest.name}/{manifest.run}" == report.model
        served = load_promoted_model(
            work_dir / "models", Interactions.from_unified(work_dir / "unified")
        )
        assert served.version == "ials.v1"
        written = list(read_lists(report.lists_dir))
        assert len(written) == report.lists == report.users
        first = written[0]
        stored = store.get_list(first.user_id, "all", snapshot=report.snapshot)
        assert stored is not None and stored.track_ids == first.track_ids
        assert store.snapshot_pointer().current == report.snapshot
        assert store.get_list(POPULAR_USER, "all", snapshot=report.snapshot) is not None
    finally:
        store.close()


def test_without_java_the_error_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    assert shutil.which("java") is None and "JAVA_HOME" not in os.environ
    with pytest.raises(DataError, match="Spark needs a Java runtime") as caught:
        require_java()
    assert "\n" not in str(caught.value)


def test_spark_run_without_java_is_one_error_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from philomath.cli import main

    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PHILOMATH_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(main, ["spark", "run", "--no-publish"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.strip().splitlines() == [
        "Error: Spark needs a Java runtime (17 or 21): none on PATH and JAVA_HOME is unset"
    ]
