"""SCRAM-SHA-256 password verifiers computed client-side, so no plaintext password reaches SQL."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import stringprep
import unicodedata

ITERATIONS = 4096
"""PostgreSQL's default scram_iterations."""
_SALT_BYTES = 16


def saslprep(password: str) -> str | None:
    """RFC 4013 SASLprep as PostgreSQL applies it; None when prohibited (PostgreSQL then uses
    the raw bytes). ASCII passwords are returned unchanged, as PostgreSQL does."""
    if password.isascii():
        return password
    mapped = "".join(
        " " if stringprep.in_table_c12(ch) else ch
        for ch in password
        if not stringprep.in_table_b1(ch)
    )
    normalized = unicodedata.normalize("NFKC", mapped)
    if not normalized:
        return None
    prohibited = (
        stringprep.in_table_c12,
        stringprep.in_table_c21,
        stringprep.in_table_c22,
        stringprep.in_table_c3,
        stringprep.in_table_c4,
        stringprep.in_table_c5,
        stringprep.in_table_c6,
        stringprep.in_table_c7,
        stringprep.in_table_c8,
        stringprep.in_table_c9,
        stringprep.in_table_a1,
    )
    if any(check(ch) for ch in normalized for check in prohibited):
        return None
    rand_al = [stringprep.in_table_d1(ch) for ch in normalized]
    if any(rand_al) and (
        any(stringprep.in_table_d2(ch) for ch in normalized) or not (rand_al[0] and rand_al[-1])
    ):
        return None
    return normalized


def scram_verifier(
    password: str, *, salt: bytes | None = None, iterations: int = ITERATIONS
) -> str:
    """The `SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>` string PostgreSQL stores."""
    salt = os.urandom(_SALT_BYTES) if salt is None else salt
    prepared = saslprep(password)
    secret = (prepared if prepared is not None else password).encode()
    salted = hashlib.pbkdf2_hmac("sha256", secret, salt, iterations)
    client_key = hmac.digest(salted, b"Client Key", "sha256")
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.digest(salted, b"Server Key", "sha256")

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"
