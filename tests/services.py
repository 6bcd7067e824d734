"""What a test does when a service it needs is missing: skip on a developer's machine, fail in
CI, where ``.ci/run`` sets ``PHILOMATH_REQUIRE_SERVICES=1`` (services are mandatory there)."""

from __future__ import annotations

import os
import socket
from typing import NoReturn

import pytest


def service_missing(message: str) -> NoReturn:
    if os.environ.get("PHILOMATH_REQUIRE_SERVICES") == "1":
        pytest.fail(message + " (PHILOMATH_REQUIRE_SERVICES=1: services are mandatory)")
    pytest.skip(message)


def free_port() -> int:
    """A loopback port nothing listens on now, for a server a test starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
