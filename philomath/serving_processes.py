"""Several serving processes on one port, each with a listening socket of its own.

uvicorn's ``--workers`` shares one listening socket among its processes, and asyncio accepts
every connection that is waiting when its process wakes: keep-alive clients that connect
together (a load balancer's pool, a load test's 16 connections) often all land on one
process, which then serves alone while the others idle (1 process of 2 holding 15 of 16
connections, measured in BENCHMARKS.md, "2026-12-07 (night)"). Here each process opens its
own socket with ``SO_REUSEPORT``, and the kernel spreads the connections over them.

uvicorn's supervisor is kept (worker health checks, restarts, signals): it hands each
process a ``ReusePortSocket``, which becomes a socket bound in that process as it starts.
"""

from __future__ import annotations

import errno
import socket
from typing import Any, cast

from uvicorn import Config
from uvicorn.supervisors import Multiprocess


class PortInUse(OSError):
    """Another server listens on the port already."""


def run_processes(app: str, *, host: str, port: int, processes: int, **config: Any) -> None:
    """Serve the ASGI app factory ``app`` ("module:function") in ``processes`` processes;
    ``config`` goes to uvicorn's ``Config``. Call ``check_port_free`` first."""
    settings = Config(app, factory=True, workers=processes, host=host, port=port, **config)
    # Not a socket: each process unpickles it into its own (see ReusePortSocket).
    sockets = cast(list[socket.socket], [ReusePortSocket(host, port)])
    Multiprocess(settings, sockets=sockets).run()


class ReusePortSocket:
    """Where to listen; unpickled (in each worker process) as a socket bound there."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port

    def __reduce__(self) -> tuple[Any, tuple[str, int]]:
        return reuse_port_socket, (self.host, self.port)


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to (host, port) beside the other processes' (``SO_REUSEPORT``);
    the server makes it listen."""
    # IPPROTO_TCP named: asyncio turns Nagle off only on sockets that say they are TCP, and
    # with it on every keep-alive answer waited 40 ms for a delayed ACK.
    sock = socket.socket(_family(host), socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def check_port_free(host: str, port: int) -> None:
    """Raise ``PortInUse`` when something listens on the port: a server left running there
    with ``SO_REUSEPORT`` would otherwise quietly take a share of the connections."""
    probe = socket.socket(_family(host), socket.SOCK_STREAM)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is no owner
        probe.bind((host, port))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(errno.EADDRINUSE, f"{host}:{port} is in use") from None
        raise
    finally:
        probe.close()


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET
