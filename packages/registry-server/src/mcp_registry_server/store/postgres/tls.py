"""Translate the config's `sslMode` and CA file into the value asyncpg's `ssl=` argument takes."""

from __future__ import annotations

import ssl
from enum import StrEnum
from pathlib import Path


class SslMode(StrEnum):
    """libpq's sslmode values (the config's `database.sslMode`)."""

    DISABLE = "disable"
    ALLOW = "allow"
    PREFER = "prefer"
    REQUIRE = "require"
    VERIFY_CA = "verify-ca"
    VERIFY_FULL = "verify-full"


class DatabaseTlsError(ValueError):
    """The TLS settings cannot be turned into a client context (e.g. an unreadable CA file)."""


def _context(*, root_cert: Path | None, verify: bool, check_hostname: bool) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = check_hostname
    if not verify:
        context.verify_mode = ssl.CERT_NONE
        return context
    context.verify_mode = ssl.CERT_REQUIRED
    try:
        if root_cert is None:
            context.load_default_certs(ssl.Purpose.SERVER_AUTH)
        else:
            context.load_verify_locations(cafile=str(root_cert))
    except (OSError, ssl.SSLError) as exc:
        raise DatabaseTlsError(
            f"database.sslRootCert {str(root_cert)!r} cannot be loaded as a CA bundle: {exc}"
        ) from exc
    return context


def tls_argument(mode: SslMode, root_cert: Path | None) -> ssl.SSLContext | str | bool:
    """The `ssl=` value for asyncpg.

    disable → False; allow/prefer → the mode string (asyncpg negotiates opportunistically);
    require → TLS without any verification (the config ignores sslRootCert then);
    verify-ca → chain verified against `root_cert` (system CAs when unset), no hostname
    check; verify-full → chain and hostname verified.
    """
    if mode is SslMode.DISABLE:
        return False
    if mode in (SslMode.ALLOW, SslMode.PREFER):
        return mode.value
    if mode is SslMode.REQUIRE:
        return _context(root_cert=None, verify=False, check_hostname=False)
    return _context(root_cert=root_cert, verify=True, check_hostname=mode is SslMode.VERIFY_FULL)
