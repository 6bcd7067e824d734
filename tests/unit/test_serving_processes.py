"""Serving processes with a listening socket each (``philomath.serving_processes``)."""

from __future__ import annotations

import pickle
import socket
from collections.abc import Callable

import pytest

from philomath.serving_processes import (
    PortInUse,
    ReusePortSocket,
    check_port_free,
    reuse_port_socket,
)
from tests.services import free_port


def test_each_process_binds_a_socket_of_its_own_on_the_same_port() -> None:
    port = free_port()
    # What every worker process does as it unpickles its ReusePortSocket.
    first = pickle.loads(pickle.dumps(ReusePortSocket("127.0.0.1", port)))
    second = pickle.loads(pickle.dumps(ReusePortSocket("127.0.0.1", port)))
    try:
        for sock in (first, second):
            assert isinstance(sock, socket.socket)
            assert sock.getsockname() == ("127.0.0.1", port)
            sock.listen()
        # Said to be TCP, so that asyncio turns Nagle's algorithm off on its connections.
        assert first.proto == socket.IPPROTO_TCP
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
    finally:
        first.close()
        second.close()


def test_a_port_someone_listens_on_is_refused_before_any_process_starts() -> None:
    port = free_port()
    check_port_free("127.0.0.1", port)  # nobody there yet
    opened_by: list[Callable[[], socket.socket]] = [
        lambda: socket.create_server(("127.0.0.1", port)),  # another server
        lambda: reuse_port_socket("127.0.0.1", port),  # one of ours left running
    ]
    for open_listener in opened_by:
        listener = open_listener()
        listener.listen()
        try:
            with pytest.raises(PortInUse, match=f"127.0.0.1:{port} is in use"):
                check_port_free("127.0.0.1", port)
        finally:
            listener.close()
