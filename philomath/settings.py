"""All configuration, read once from ``PHILOMATH_*`` environment variables (or ``.env``)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from philomath.secret_refs import is_secret_reference
from playback.url_signing import MIN_KEY_BYTES

ENV_PREFIX = "PHILOMATH_"


class Settings(BaseSettings):
    """Every backend is chosen by URL scheme; unset URLs default to files under ``data_dir``.

    | variable | schemes |
    | --- | --- |
    | ``PHILOMATH_CATALOG_URL`` | ``sqlite:///path``, ``postgresql://host:port/db`` |
    | ``PHILOMATH_STORE_URL`` | ``sqlite:///path``, ``dynamodb://table`` |
    | ``PHILOMATH_PROFILES_URL`` | ``sqlite:///path``, ``dynamodb://table`` |
    | ``PHILOMATH_CACHE_URL`` | ``memory://``, ``redis://host:port/db`` |
    | ``PHILOMATH_EVENTS_URL`` | ``sqlite:///path``, ``kinesis://stream``, ``redis://host/db`` |
    | ``PHILOMATH_QUEUE_URL`` | ``sqlite:///path``, ``redis://``, ``dynamodb://t``, ``memory://`` |
    | ``PHILOMATH_IDENTITY_URL`` | ``sqlite:///path``, ``dynamodb://table``, ``memory://`` |
    | ``PHILOMATH_LISTEN_ARCHIVE_URL`` | ``file:path``, ``s3://bucket/prefix``, ``none`` |
    | ``PHILOMATH_BANDIT_URL`` | ``sqlite:///path``, ``redis://host:port/db``, ``dynamodb://t`` |
    """

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=".env", extra="ignore")

    data_dir: Path = Path("var")

    catalog_url: str = ""
    # The PostgreSQL catalog's password, kept out of the URL (which logs and consoles show):
    # the value, or a Secrets Manager reference (``arn:...#password``) read once at start.
    catalog_password: SecretStr | None = None
    store_url: str = ""
    profiles_url: str = ""
    cache_url: str = "memory://"
    events_url: str = ""
    queue_url: str = ""  # per-device play queues
    queue_ttl_s: float = Field(default=30 * 24 * 3600.0, gt=0)
    identity_url: str = ""  # Alexa caller -> listener mappings (listening.identity)
    # Live plays archived for training: file:path (default: <raw feeds>/live/listens, where
    # the ETL reads them), s3://bucket/prefix (the feeds bucket's live/listens), or none.
    listen_archive_url: str = ""
    # A/B experiments declared in JSON or TOML (default <data_dir>/experiments.json) and the
    # JSON-lines log of exposures (default <data_dir>/experiments/exposures.jsonl).
    experiments_file: Path | None = None
    exposures_file: Path | None = None
    # The retrain trigger (philomath retrain --if-due, and the serve supervisor's role):
    # rerun the pipeline once this many new archived plays arrived, or this many hours after
    # the last run; the role checks every retrain_check_s (0: the role does not run).
    retrain_min_plays: int = Field(default=5_000, ge=1)
    retrain_every_h: float = Field(default=24.0, gt=0)
    retrain_check_s: float = Field(default=600.0, ge=0)
    routines_url: str = ""  # declared routines: sqlite:///path (default) or dynamodb://table

    aws_region: str = "us-east-1"
    aws_endpoint_url: str | None = None
    # Create missing tables and streams when a role starts: on locally (`make run` needs it),
    # off in AWS, where the template creates them and the online roles may not create any.
    ensure_schema: bool = True

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    stream_base_url: str = "https://media.philomath.example/tracks"
    # HMAC key of stream URLs, or a secret reference (secretsmanager://name[#key] or an ARN).
    # Unset: a random one per process, for the local demo only (refused in AWS).
    media_signing_key: SecretStr | None = None
    stream_url_ttl_s: int = Field(default=12 * 3600, ge=60)

    # Alexa: the skill id(s) requests must be addressed to (comma-separated), and request
    # signature verification, which only a local development server may turn off.
    alexa_skill_id: str = ""
    verify_alexa_signatures: bool = True
    # REST API bearer tokens: a JSON object {"<token>": "<listener id>"} (a key may be
    # "sha256:<hex>" of the token).
    api_tokens: SecretStr = SecretStr("")
    # REST API authentication (philomath.security): "static" tokens above, for the local demo
    # (refused in AWS unless allowed), or "jwt": bearer JWTs of an OIDC issuer (Cognito...)
    # checked against its JWKS (jwks_url, or the one its discovery document names).
    auth: Literal["static", "jwt"] = "static"
    jwt_issuer: str = Field(default="", validate_default=True)
    jwt_audience: str = Field(default="", validate_default=True)  # or a secret reference
    jwks_url: str = ""
    jwt_listener_claim: str = Field(default="sub", min_length=1)
    jwt_scope_prefix: str = ""  # stripped from granted scopes (a Cognito resource server's)
    jwt_leeway_s: float = Field(default=30.0, ge=0, le=300)
    jwks_min_refetch_s: float = Field(default=60.0, ge=1)
    allow_static_tokens_in_aws: bool = False
    # Per-listener rate limit of the REST API, a token bucket (rate 0 turns it off): in this
    # process (memory://) or shared by every worker (redis://host:port/db).
    rate_limit_per_s: float = Field(default=10.0, ge=0)
    rate_limit_burst: int = Field(default=30, ge=1)
    rate_limit_url: str = "memory://"
    # Where the Alexa endpoint and the recommendations page run their blocking work: on the
    # event loop ("inline": each serving process one request at a time, the cheapest when
    # no wait is long), in a thread pool ("threads": requests overlap their waits on a
    # remote PostgreSQL, Redis or AWS), or "auto": inline when every request-path backend
    # is a local file, memory, or PostgreSQL or Redis on this host (loopback), threads
    # otherwise (skill.api.offload; BENCHMARKS.md, "2026-12-07 (night)").
    request_io: Literal["auto", "inline", "threads"] = "auto"
    cache_ttl_s: float = Field(default=300.0, gt=0)
    # What fills a list its own path left short, in order (recommender.serving.router's steps).
    fallback_chain: str = "popular,memory"
    # The bandit re-ranker (recommender.serving.bandit): off by default until off-policy
    # evaluation of the logged propensities shows it helps; its store holds Beta posteriors:
    # sqlite:///path (default <data_dir>/bandit.db), redis://host:port/db or dynamodb://table.
    bandit_enabled: bool = False
    bandit_url: str = ""
    bandit_top_k: int = Field(default=10, ge=1, le=100)  # tracks re-ordered at the top
    bandit_exploration: float = Field(default=0.1, ge=0.0, le=0.5)  # first-slot swap chance
    bandit_blend: float = Field(default=0.5, ge=0.0, le=1.0)  # posterior's weight vs rank
    bandit_half_life_days: float = Field(default=14.0, gt=0)  # old evidence fades
    # A genre arm's own half-life (0: the same): genre arms pool many plays, so they can
    # forget faster and follow a genre that starts trending.
    bandit_genre_half_life_days: float = Field(default=0.0, ge=0)
    # Ranked tracks the top k are filled from (0: the answer's own n) and the pseudo-plays a
    # track arm's prior takes from its genre arm's posterior (0: a flat prior).
    bandit_pool: int = Field(default=0, ge=0, le=200)
    bandit_prior_strength: float = Field(default=0.0, ge=0.0, le=100.0)
    recommendations_per_user: int = Field(default=100, ge=1, le=1000)
    # A listener with no stored list yet (unknown to the model until the next batch run) is
    # served a list computed at request time once their history holds this many tracks the
    # model knows (recommender.batch.live_lists); 0 turns that off: the charts answer.
    live_min_tracks: int = Field(default=2, ge=0)
    # Where the offline ETL runs its Ibis rules: embedded DuckDB, or a local Spark session
    # (the Glue / EMR engine; needs the spark extra and Java).
    etl_engine: Literal["duckdb", "pyspark"] = "duckdb"
    # JVM heap of the local Spark session `philomath spark run` starts.
    spark_memory: str = "4g"
    # `pipeline run` trains the NLU intent and slot model (as `philomath nlu train`) when none
    # was trained on the current corpora: minutes, once. Off, serving parses without it until
    # `philomath nlu train` is run (the tests turn it off).
    nlu_train: bool = True
    # The promotion gate (recommender.offline.promotion): a trained model replaces the one in
    # service only if its NDCG@10 on the same held-out split is at least this fraction above
    # (0.01: 1% better), and its listener satisfaction and catalog coverage fall at most these
    # fractions below the in-service model's. Fractions between 0 and 1.
    promotion_margin: float = Field(default=0.01, ge=0, le=1)
    promotion_satisfaction_tolerance: float = Field(default=0.02, ge=0, le=1)
    promotion_coverage_tolerance: float = Field(default=0.10, ge=0, le=1)

    # A factor model (iALS) on a catalog of more tracks than this retrieves each listener's
    # candidates from an approximate nearest-neighbour index over its item factors (faiss
    # HNSW, recommender.models.ann) and ranks them, scored exactly, together with the popular
    # head (BENCHMARKS.md, "ANN candidates for iALS"). The default is the large-catalog
    # threshold (recommender.models.head.LARGE_CATALOG_ITEMS, not imported: no numpy here);
    # 0: never, large catalogs score the popular head alone.
    ann_min_items: int = Field(default=100_000, ge=0)

    # Embedded data set: scale and seed of the generated team feeds.
    users: int = Field(default=2_000, ge=1)
    tracks: int = Field(default=20_000, ge=10)
    events: int = Field(default=200_000, ge=1)
    seed: int = 7

    # Observability (philomath/observability.py): Prometheus metrics (GET /metrics on serve,
    # this port for consume and batch --watch, 0: none; a textfile for a one-shot batch) and
    # OpenTelemetry traces: none, console, or otlp (OTEL_EXPORTER_OTLP_ENDPOINT).
    metrics_enabled: bool = True
    metrics_port: int = Field(default=9108, ge=0, le=65535)
    metrics_textfile: Path | None = None
    trace_exporter: Literal["none", "console", "otlp"] = "none"

    log_level: str = "INFO"
    # auto: short text lines on a terminal, JSON elsewhere (pipes, files, AWS).
    log_format: Literal["auto", "json", "text"] = "auto"

    @field_validator("media_signing_key")
    @classmethod
    def _long_enough(cls, key: SecretStr | None) -> SecretStr | None:
        if key is None or is_secret_reference(key.get_secret_value()):
            return key  # a reference is checked once read
        if len(key.get_secret_value().encode()) < MIN_KEY_BYTES:
            raise ValueError(f"must be at least {MIN_KEY_BYTES} bytes")
        return key

    @field_validator("api_tokens")
    @classmethod
    def _token_map(cls, tokens: SecretStr) -> SecretStr:
        if not is_secret_reference(tokens.get_secret_value()):  # else checked once read
            parse_api_tokens(tokens.get_secret_value())
        return tokens

    @field_validator("jwt_issuer", "jwt_audience")
    @classmethod
    def _needed_for_jwt(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("auth") == "jwt" and not value.strip():
            raise ValueError("required with PHILOMATH_AUTH=jwt")
        return value.strip()

    @field_validator("jwt_issuer", "jwks_url")
    @classmethod
    def _https(cls, url: str) -> str:
        if url:
            from skill.api.security.jwks import check_https

            check_https(url)
        return url

    @field_validator("fallback_chain")
    @classmethod
    def _known_steps(cls, chain: str) -> str:
        from recommender.serving.router import parse_fallback_chain

        parse_fallback_chain(chain)
        return chain

    @field_validator("log_level")
    @classmethod
    def _level_name(cls, level: str) -> str:
        if not isinstance(logging.getLevelName(level.upper()), int):
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level.upper()

    @model_validator(mode="after")
    def _default_urls(self) -> Settings:
        data = self.data_dir
        self.catalog_url = self.catalog_url or f"sqlite:///{data / 'catalog.db'}"
        self.store_url = self.store_url or f"sqlite:///{data / 'recommendations.db'}"
        self.profiles_url = self.profiles_url or f"sqlite:///{data / 'profiles.db'}"
        self.events_url = self.events_url or f"sqlite:///{data / 'events.db'}"
        self.queue_url = self.queue_url or f"sqlite:///{data / 'queues.db'}"
        self.identity_url = self.identity_url or f"sqlite:///{data / 'identity.db'}"
        self.listen_archive_url = self.listen_archive_url or f"file:{data / 'raw/live/listens'}"
        self.routines_url = self.routines_url or f"sqlite:///{data / 'routines.db'}"
        self.bandit_url = self.bandit_url or f"sqlite:///{data / 'bandit.db'}"
        return self

    @property
    def request_io_inline(self) -> bool:
        """Whether the request path runs on the event loop (``request_io``, auto resolved)."""
        if self.request_io != "auto":
            return self.request_io == "inline"
        urls = [
            self.catalog_url, self.store_url, self.profiles_url, self.cache_url,
            self.events_url, self.queue_url, self.identity_url, self.routines_url,
            self.rate_limit_url, *([self.bandit_url] if self.bandit_enabled else []),
        ]  # fmt: skip
        return all(_answers_locally(url) for url in urls)

    @property
    def api_token_map(self) -> dict[str, str]:
        """``PHILOMATH_API_TOKENS`` as token (or ``sha256:<hex>``) -> listener id."""
        return parse_api_tokens(self.api_tokens.get_secret_value())

    @property
    def gazetteer_dir(self) -> Path:
        """The NLU gazetteer the offline pipeline builds from the catalog."""
        return self.data_dir / "gazetteer"

    @property
    def work_dir(self) -> Path:
        """The offline pipeline's working folder: unified tables, models, reports, state."""
        return self.data_dir / "work"

    @property
    def models_dir(self) -> Path:
        """The model registry; batch inference serves its promoted model."""
        return self.work_dir / "models"

    @property
    def experiments_path(self) -> Path:
        return self.experiments_file or self.data_dir / "experiments.json"

    @property
    def exposures_path(self) -> Path:
        return self.exposures_file or self.data_dir / "experiments" / "exposures.jsonl"

    @property
    def raw_dir(self) -> Path:
        """Where the generated team feeds are written."""
        return self.data_dir / "raw"


_IN_PROCESS = ("sqlite://", "memory://")
_SERVERS = ("postgresql://", "postgres://", "redis://", "rediss://")
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def _answers_locally(url: str) -> bool:
    """Whether a backend answers without a network round trip: a file, this process's
    memory, or a server on this host. AWS (dynamodb://, kinesis://) never does."""
    if url.startswith(_IN_PROCESS):
        return True
    try:
        return url.startswith(_SERVERS) and urlsplit(url).hostname in _LOOPBACK
    except ValueError:  # a malformed URL: its adapter reports it
        return False


def parse_api_tokens(text: str) -> dict[str, str]:
    """A JSON object token -> listener id ("" for none); ValueError for anything else."""
    if not text.strip():
        return {}
    try:
        tokens = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"not JSON ({exc})") from None
    if not isinstance(tokens, dict) or not all(
        isinstance(k, str) and k and isinstance(v, str) and v for k, v in tokens.items()
    ):
        raise ValueError('must be a JSON object {"token": "listener id"}, none of them empty')
    return tokens


def settings_problems(error: ValidationError) -> list[str]:
    """One line per refused setting, named as it is set: ``PHILOMATH_PORT: Input should be a
    valid integer`` (never the value, which may be a secret)."""
    lines = []
    for problem in error.errors(include_url=False, include_input=False):
        names = [str(part) for part in problem["loc"]]
        variable = f"{ENV_PREFIX}{names[0].upper()}" if names else "settings"
        message = problem["msg"].removeprefix("Value error, ")
        lines.append(f"{variable}: {message}")
    return lines
