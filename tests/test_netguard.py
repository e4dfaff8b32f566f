"""The network guard refuses the outside world and lets loopback through."""
import socket

import pytest

from hftour.netguard import NetworkBlockedError


def test_outside_host_is_refused():
    with pytest.raises(NetworkBlockedError):
        socket.create_connection(("huggingface.co", 443), timeout=1)
    with pytest.raises(NetworkBlockedError):
        socket.create_connection(("8.8.8.8", 53), timeout=1)


def test_loopback_is_allowed():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    with socket.create_connection(server.getsockname(), timeout=1):
        pass
    server.close()
