"""dulwich clients in which every socket and subprocess has a timeout and obeys the fetch's
interrupt (see `sources.blocking`), so a remote that accepts and never answers cannot pin a
worker thread.

- `git://`: dulwich's TCP client connects and reads with no timeout at all; ours opens the
  socket itself, with `timeout` for the connect and for each read or write.
- `http(s)://`: urllib3 with `timeout` for the connect and each read, and no retry of a
  timed-out connect or read (urllib3 would try a GET four times: four timeouts per request);
  the attempt is retried as a whole, with backoff, by the sync engine.
- `ssh://` and `user@host:path`: the `ssh` program with `ConnectTimeout`, `ServerAliveInterval`
  (a dead peer is dropped) and `BatchMode` (never a prompt); a server that stays alive but
  never answers is ended by the interrupt, which kills `ssh`, at the attempt's deadline.
- `file://` and local paths have no socket.

The private-address guard (`mcp_registry_server.netguard`), unless the source allows private
addresses, checks the address each socket connects to: `git://` and http(s) sockets are opened
to an address that passed it (redirects too: urllib3 opens their connections the same way), and
`ssh` is told the checked address (`HostName`, with `HostKeyAlias` keeping known_hosts on the
name). Through an HTTP proxy the proxy picks the address, so a guarded source refuses a proxy.
"""

from __future__ import annotations

import math
import select
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import IO, Any
from urllib.parse import urlparse

import urllib3
import urllib3.connection
from dulwich.client import (
    GitClient,
    SSHGitClient,
    SubprocessSSHVendor,
    SubprocessWrapper,
    TCPGitClient,
    default_urllib3_manager,
)
from dulwich.client import get_transport_and_path as dulwich_transport
from dulwich.protocol import (
    DEFAULT_GIT_PROTOCOL_VERSION_FETCH,
    DEFAULT_GIT_PROTOCOL_VERSION_SEND,
    Protocol,
)

from mcp_registry_server.netguard import GUARD, REFUSED, AddressGuard, ForbiddenAddressError
from mcp_registry_server.sources.blocking import current_interrupt

_RETRIES = urllib3.Retry(
    total=3, connect=0, read=0, other=0, status=0, respect_retry_after_header=False
)
"""Redirects only (urllib3's default of three): no second try of a connect, read or TLS
handshake that failed or timed out, nor of a 503 with Retry-After. The sync engine retries
the whole fetch with backoff and logs each attempt once; urllib3's own tries would add a
"Retrying" warning each (three per attempt) and multiply the timeouts."""


_fetch = threading.local()
"""The guard of the fetch running on this thread, for the urllib3 connections it opens."""


class ProxyRefusedError(Exception):
    """A guarded source would go through an HTTP proxy, which chooses the address itself."""


@contextmanager
def open_client(
    repository: str,
    *,
    timeout: float,
    username: str | None,
    password: str | None,
    guard: AddressGuard | None = GUARD,
) -> Iterator[tuple[GitClient, str]]:
    """A client for `repository` and the path to ask it for, closed (with any pooled HTTP
    connection) afterwards; `timeout` is the socket timeout, `guard` checks every address
    connected to (None: any address)."""
    manager: urllib3.PoolManager | None = None
    parsed = urlparse(repository)
    if parsed.scheme == "git":
        if not parsed.hostname:
            raise ValueError(f"git:// URL without a host: {repository!r}")
        client: GitClient = TimedTCPGitClient(
            parsed.hostname, parsed.port, timeout=timeout, guard=guard
        )
        path = parsed.path
    elif parsed.scheme in ("http", "https"):
        made = default_urllib3_manager(
            None,
            pool_manager_cls=_PoolManager,
            proxy_manager_cls=_ProxyManager,
            base_url=repository,
            timeout=timeout,
        )
        assert isinstance(made, urllib3.PoolManager)  # a wrapper only with auth callbacks
        if guard is not None and isinstance(made, urllib3.ProxyManager):
            made.clear()
            raise ProxyRefusedError(
                "an HTTP proxy is configured (https_proxy, http_proxy or git's http.proxy) and "
                "would choose the address itself; the private-address guard cannot check it "
                "(unset the proxy, or set allowPrivateIP to go through it unguarded)"
            )
        manager = made
        client, path = dulwich_transport(
            repository, username=username, password=password, pool_manager=manager
        )
    else:  # ssh://, user@host:path, file://, a local path
        client, path = dulwich_transport(repository, username=username, password=password)
        if isinstance(client, SSHGitClient):
            client.ssh_vendor = TimedSSHVendor(timeout, guard=guard)
    _fetch.guard = guard
    try:
        yield client, path
    finally:
        _fetch.guard = GUARD
        client.close()
        if manager is not None:
            manager.clear()


def _watched(sock: socket.socket) -> socket.socket:
    """Register `sock` with this thread's fetch interrupt (abandoning the fetch shuts it)."""
    interrupt = current_interrupt()
    if interrupt is not None:
        interrupt.watch_socket(sock)
    return sock


class TimedTCPGitClient(TCPGitClient):
    """dulwich's `git://` client, but the socket has a timeout and answers the interrupt."""

    def __init__(
        self, host: str, port: int | None, *, timeout: float, guard: AddressGuard | None
    ) -> None:
        super().__init__(host, port=port)
        self._timeout = timeout
        self._guard = guard
        self._closers: list[Callable[[], None]] = []

    def close(self) -> None:
        """Close every connection made, also those a failed call left open."""
        closers, self._closers = self._closers, []
        for close in closers:
            with suppress(OSError):
                close()

    def _connect(
        self, cmd: bytes, path: str | bytes, protocol_version: int | None = None
    ) -> tuple[Protocol, Any, IO[bytes] | None]:
        # As dulwich's TCPGitClient._connect, except for how the socket is opened.
        if not isinstance(cmd, bytes):
            raise TypeError(cmd)
        if not isinstance(path, bytes):
            path = path.encode(self._remote_path_encoding)
        if self._guard is None:
            opened = socket.create_connection((self._host, self._port), self._timeout)
        else:
            opened = self._guard.connect(self._host, self._port, self._timeout)
        sock = _watched(opened)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        rfile = sock.makefile("rb", -1)
        wfile = sock.makefile("wb", 0)

        def close() -> None:
            rfile.close()
            wfile.close()
            sock.close()

        self._closers.append(close)

        def shutdown_write() -> None:
            wfile.flush()
            with suppress(OSError):
                sock.shutdown(socket.SHUT_WR)

        proto = Protocol(
            rfile.read,
            wfile.write,
            close,
            report_activity=self._report_activity,
            shutdown_write=shutdown_write,
        )
        if path.startswith(b"/~"):
            path = path[1:]
        if cmd == b"upload-pack":
            self.protocol_version = (
                DEFAULT_GIT_PROTOCOL_VERSION_FETCH if protocol_version is None else protocol_version
            )
        else:
            self.protocol_version = DEFAULT_GIT_PROTOCOL_VERSION_SEND
        version = b""
        if cmd == b"upload-pack" and self.protocol_version == 2:
            version = b"\0\0version=%d\0" % self.protocol_version
        proto.send_cmd(b"git-" + cmd, path, b"host=" + self._host.encode("ascii") + version)
        return proto, lambda: _can_read(sock), None


def _can_read(sock: socket.socket) -> bool:
    return bool(select.select([sock], [], [], 0)[0])


class TimedSSHVendor(SubprocessSSHVendor):
    """The `ssh` program with connect and keep-alive timeouts; killed by the interrupt."""

    def __init__(self, timeout: float, *, guard: AddressGuard | None) -> None:
        self._timeout = timeout
        self._guard = guard

    def run_command(
        self,
        host: str,
        command: bytes,
        username: str | None = None,
        port: int | None = None,
        password: str | None = None,
        key_filename: str | None = None,
        ssh_command: str | None = None,
        protocol_version: int | None = None,
    ) -> SubprocessWrapper:
        seconds = max(1, math.ceil(self._timeout))
        options = (
            f"-o ConnectTimeout={seconds} -o ServerAliveInterval={seconds} "
            "-o ServerAliveCountMax=1 -o BatchMode=yes"
        )
        if self._guard is not None:  # ssh connects to the checked address, not the name
            checked = self._guard.addresses(host, port or 22)
            if not checked:
                raise OSError(f"{host} resolved to no address")
            options += f" -o HostName={checked[0][4][0]} -o HostKeyAlias={host}"
        wrapper = super().run_command(
            host,
            command,
            username=username,
            port=port,
            password=password,
            key_filename=key_filename,
            ssh_command=f"{ssh_command or 'ssh'} {options}",
            protocol_version=protocol_version,
        )
        interrupt = current_interrupt()
        if interrupt is not None:
            interrupt.on_fire(wrapper.proc.kill)
        return wrapper


def _checked_conn(
    conn: urllib3.connection.HTTPConnection, new_conn: Callable[[], socket.socket]
) -> socket.socket:
    """`new_conn()` (urllib3's connect) to each address of the host that the fetch's guard
    allows in turn, so the socket is connected to a checked address."""
    guard: AddressGuard | None = getattr(_fetch, "guard", GUARD)
    if guard is None:
        return new_conn()
    host = conn._dns_host
    try:
        infos = guard.addresses(host, conn.port or 80)
    except ForbiddenAddressError as exc:
        raise urllib3.exceptions.NewConnectionError(conn, REFUSED) from exc
    except socket.gaierror:
        return new_conn()  # urllib3's own NameResolutionError
    failure: Exception | None = None
    for info in infos:
        conn._dns_host = str(info[4][0])
        try:
            return new_conn()
        except (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError) as e:
            failure = e
        finally:
            conn._dns_host = host
    raise failure or urllib3.exceptions.NewConnectionError(conn, f"{host}: no address")


class _WatchedHTTPConnection(urllib3.connection.HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _watched(_checked_conn(self, super()._new_conn))


class _WatchedHTTPSConnection(urllib3.connection.HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _watched(_checked_conn(self, super()._new_conn))


class _WatchedHTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_POOLS: dict[str, type[urllib3.HTTPConnectionPool]] = {
    "http": _WatchedHTTPPool,
    "https": _WatchedHTTPSPool,
}


class _PoolManager(urllib3.PoolManager):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, retries=_RETRIES, **kwargs)
        self.pool_classes_by_scheme = _POOLS


class _ProxyManager(urllib3.ProxyManager):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, retries=_RETRIES, **kwargs)
        self.pool_classes_by_scheme = _POOLS
