"""Database reachability: which driver errors mean "unavailable", and a backoff gate over them."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import asyncpg
import structlog
from mcp_registry_common.backoff import BackoffPolicy, equal_jitter

from mcp_registry_server.store.errors import StoreUnavailableError

log = structlog.get_logger(__name__)

UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, unreachable, TLS failures
    TimeoutError,  # connect or command timeout
    asyncpg.InterfaceError,  # connection closed / pool closing
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08
    asyncpg.exceptions.OperatorInterventionError,  # class 57: shutdown, cannot connect now, timeout
    asyncpg.exceptions.InsufficientResourcesError,  # class 53: too many connections
    asyncpg.exceptions.InvalidAuthorizationSpecificationError,  # class 28: bad password/role
)
"""Errors that say nothing about the request and everything about the database's reachability."""


STALE_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.ConnectionDoesNotExistError,  # the server closed it while it sat in the pool
    asyncpg.exceptions.AdminShutdownError,  # the server is restarting under it
    asyncpg.exceptions.InternalClientError,  # protocol state left broken by such a close
    ConnectionResetError,
    BrokenPipeError,
)
"""Errors meaning "this pooled connection was already dead"; worth one retry on a fresh one."""


def is_unavailable(exc: BaseException) -> bool:
    return isinstance(exc, UNAVAILABLE_ERRORS)


def is_stale_connection(exc: BaseException) -> bool:
    return isinstance(exc, STALE_CONNECTION_ERRORS)


def describe(exc: BaseException) -> str:
    """A short, secret-free description of a driver error."""
    text = str(exc).strip() or type(exc).__name__
    return f"{type(exc).__name__}: {text}"


DATABASE_BACKOFF = BackoffPolicy(base=0.2, cap=10.0, jitter=equal_jitter)
"""Between attempts while the database is unreachable: the upper half of the exponential window
(callers fail fast meanwhile), so replicas do not retry in lockstep."""


@dataclass(slots=True)
class AvailabilityGate:
    """Fails calls fast during the backoff window after a connection failure; a success resets.

    Without it every request and probe during an outage would wait for a connect timeout.
    """

    policy: BackoffPolicy = DATABASE_BACKOFF
    clock: Callable[[], float] = time.monotonic
    rng: random.Random = field(default_factory=random.Random)
    failures: int = 0
    retry_at: float = 0.0
    last_error: str = ""

    @property
    def available(self) -> bool:
        return self.failures == 0

    def ensure_open(self) -> None:
        """Raise StoreUnavailableError while in the backoff window after a failure."""
        if self.failures and self.clock() < self.retry_at:
            wait = self.retry_at - self.clock()
            raise StoreUnavailableError(
                f"database unavailable ({self.last_error}); next connection attempt in {wait:.1f}s",
                retry_after=wait,
            )

    def failed(self, exc: BaseException) -> StoreUnavailableError:
        """Record a connection failure; return the error to raise."""
        self.failures += 1
        self.last_error = describe(exc)
        delay = self.policy.delay(self.failures, self.rng.random())
        self.retry_at = self.clock() + delay
        if self.failures == 1:
            log.warning("database_unavailable", error=self.last_error)
        return StoreUnavailableError(f"database unavailable: {self.last_error}", retry_after=delay)

    def succeeded(self) -> None:
        if self.failures:
            log.info("database_available", failed_attempts=self.failures)
        self.failures = 0
        self.retry_at = 0.0
        self.last_error = ""
