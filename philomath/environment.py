"""Where this process runs, read from the environment the platform sets: in AWS (Lambda or
another AWS compute service), and with how many web workers. One place, so logging, security
and telemetry cannot disagree about it."""

from __future__ import annotations

import os
from collections.abc import Mapping

_AWS_VARIABLES = ("AWS_LAMBDA_FUNCTION_NAME", "AWS_EXECUTION_ENV")


def running_in_aws(environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    return any(env.get(name) for name in _AWS_VARIABLES)


def in_lambda(environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    return bool(env.get("AWS_LAMBDA_FUNCTION_NAME"))


def several_workers(environ: Mapping[str, str] | None = None) -> bool:
    """Whether uvicorn or gunicorn will fork several workers (``WEB_CONCURRENCY``)."""
    env = os.environ if environ is None else environ
    workers = env.get("WEB_CONCURRENCY", "").strip()
    return workers.isdigit() and int(workers) > 1
