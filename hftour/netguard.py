"""Refuse every network connection that leaves the machine; used by the tests and by setup() under HFTOUR_BLOCK_NETWORK=1."""
from __future__ import annotations

import ipaddress
import socket

_original_connect = socket.socket.connect
_original_getaddrinfo = socket.getaddrinfo


class NetworkBlockedError(ConnectionError):
    """Raised when code tries to reach a host that is not on this machine."""


def _is_local(host: object) -> bool:
    if not isinstance(host, str):
        return True  # AF_UNIX paths and the like never leave the machine
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _guarded_connect(sock: socket.socket, address) -> None:
    host = address[0] if isinstance(address, tuple) else address
    if not _is_local(host):
        raise NetworkBlockedError(f"hftour blocked a connection to {host!r}: only loopback is allowed here")
    return _original_connect(sock, address)


def _guarded_getaddrinfo(host, *args, **kwargs):
    name = host.decode() if isinstance(host, bytes) else host
    if name is not None and not _is_local(name):
        raise NetworkBlockedError(f"hftour blocked a lookup of {name!r}: only loopback is allowed here")
    return _original_getaddrinfo(host, *args, **kwargs)


def block_network() -> None:
    """Patch the socket module so only loopback can be reached."""
    socket.socket.connect = _guarded_connect
    socket.getaddrinfo = _guarded_getaddrinfo


def allow_network() -> None:
    """Undo block_network()."""
    socket.socket.connect = _original_connect
    socket.getaddrinfo = _original_getaddrinfo
