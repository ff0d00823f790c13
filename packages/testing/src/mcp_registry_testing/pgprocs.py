"""Process and port helpers for the throw-away PostgreSQL clusters: waiting on a condition
(blocking: clusters are set up outside the event loop), free ports, and /proc reads."""

from __future__ import annotations

import os
import shutil
import socket
import time
from collections.abc import Callable
from pathlib import Path


def wait_until(predicate: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Poll `predicate` until true; raise TimeoutError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def as_root() -> bool:
    return os.geteuid() == 0


def chown_to(path: Path, user: str) -> None:
    """Give `path` to `user` when running as root (else it is ours already)."""
    if as_root():
        shutil.chown(path, user=user, group=user)


def alive(pid: int) -> bool:
    """True when `pid` exists and is not a zombie (nobody may reap our daemonised postmaster)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def parent_of(entry: Path) -> int | None:
    try:
        return int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def child_pids(pid: int) -> list[int]:
    procs = (e for e in Path("/proc").iterdir() if e.name.isdigit())
    return [int(e.name) for e in procs if parent_of(e) == pid]
