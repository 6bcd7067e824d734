"""Where a request's blocking work runs: on the event loop, or in the thread pool.

The request path is synchronous code (ask-sdk, the router, the stores' clients). In the
thread pool, requests overlap their waits on the network (PostgreSQL, Redis, DynamoDB), but
each one pays a hand-off between threads and the GIL contention of up to 40 of them: about
0.9 ms of CPU a skill turn on the 2-core VM, as much as half the turn itself (BENCHMARKS.md,
"2026-12-07 (night)"). When every request-path backend is a local file, memory or a server on
loopback, there is no wait worth overlapping, and a process runs its requests one at a time on
its loop instead (``inline``); several processes (``serve --processes N``) give the
parallelism. ``Settings.request_io_inline`` decides.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import ParamSpec, Protocol, TypeVar

from starlette.concurrency import run_in_threadpool

P = ParamSpec("P")
T = TypeVar("T")


class Offload(Protocol):
    """Runs ``function(*args, **kwargs)`` for a request and awaits its result."""

    def __call__(
        self, function: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
    ) -> Awaitable[T]: ...


async def inline(function: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``function`` on the event loop: nothing else runs in this process meanwhile."""
    return function(*args, **kwargs)


async def in_threads(function: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``function`` in the thread pool, so other requests go on while it waits."""
    return await run_in_threadpool(function, *args, **kwargs)
