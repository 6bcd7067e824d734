"""The composition root builds the bandit from settings: off by default (the list as
ranked), on with the posterior store its URL names and the configured bounds."""

from __future__ import annotations

from pathlib import Path

import pytest

from philomath.adapters import build_posteriors
from philomath.settings import Settings
from philomath.wiring import ConfigurationError, bandit_config, build_backends, build_reranker
from recommender.serving.bandit import StaticRanking, ThompsonReranker
from recommender.storage.posteriors import Evidence, Posterior, group_arm
from recommender.storage.redis_posteriors import RedisPosteriorStore
from recommender.storage.sqlite_posteriors import SqlitePosteriorStore


def test_the_bandit_is_off_by_default(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert build_posteriors(settings) is None
    assert isinstance(build_reranker(settings, None), StaticRanking)


def test_on_it_reads_its_store_and_bounds(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, bandit_enabled=True, bandit_top_k=5, bandit_exploration=0.2
    )
    assert settings.bandit_url == f"sqlite:///{tmp_path / 'bandit.db'}"
    store = build_posteriors(settings)
    assert isinstance(store, SqlitePosteriorStore)
    reranker = build_reranker(settings, store)
    assert isinstance(reranker, ThompsonReranker)
    assert (reranker.config.top_k, reranker.config.exploration) == (5, 0.2)
    assert reranker.config.genre_half_life_days == 0.0  # genre arms fade as track arms
    quick = Settings(data_dir=tmp_path, bandit_enabled=True, bandit_genre_half_life_days=1.5)
    assert bandit_config(quick).genre_half_life_days == 1.5
    backends = build_backends(quick)
    try:
        # The consumer's fold takes it: a genre arm's evidence halves in 1.5 days.
        assert backends.bandit_fold is not None
        start, later = Posterior(9.0, 1.0, 0.0), 1.5 * 86_400.0
        genre = backends.bandit_fold(start, Evidence("e", "c", group_arm("rock"), 0.0, 0.0, later))
        assert genre.alpha == pytest.approx(5.0)
    finally:
        backends.close()
    store.close()
    redis_store = build_posteriors(
        Settings(data_dir=tmp_path, bandit_enabled=True, bandit_url="redis://127.0.0.1:6379/9")
    )
    assert isinstance(redis_store, RedisPosteriorStore)


def test_bad_bandit_settings_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="bandit_exploration"):
        Settings(data_dir=tmp_path, bandit_exploration=0.9)
    with pytest.raises(ValueError, match="bandit_genre_half_life_days"):
        Settings(data_dir=tmp_path, bandit_genre_half_life_days=-1)
    with pytest.raises(ConfigurationError, match="PHILOMATH_BANDIT_URL"):
        build_posteriors(Settings(data_dir=tmp_path, bandit_enabled=True, bandit_url="ftp://x"))
