"""Password lookup in a libpq password file (`$PGPASSFILE` or `~/.pgpass`), with libpq's rules."""

from __future__ import annotations

import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

_GROUP_OR_WORLD = stat.S_IRWXG | stat.S_IRWXO
_FIELDS = 5


class PgpassError(Exception):
    """The password file exists but cannot be used."""


class PgpassPermissionError(PgpassError):
    """The password file is readable by group or others, which libpq refuses too."""


@dataclass(frozen=True, slots=True)
class PgpassEntry:
    """One `hostname:port:database:username:password` line; None in a key field is `*`."""

    host: str | None
    port: str | None
    database: str | None
    user: str | None
    password: str = field(repr=False)

    def matches(self, *, host: str, port: int, database: str, user: str) -> bool:
        """True when every key field is `*` or equal to the connection's value."""
        wanted = (host, str(port), database, user)
        have = (self.host, self.port, self.database, self.user)
        return all(
            mine is None or mine == theirs for mine, theirs in zip(have, wanted, strict=True)
        )


def _split_line(line: str) -> list[tuple[str, bool]] | None:
    """Split on unescaped colons into (value, was_a_bare_star) fields; None if too few."""
    fields: list[tuple[str, bool]] = []
    current: list[str] = []
    escaped_any = False
    chars = iter(line)
    for char in chars:
        if char == "\\":
            nxt = next(chars, None)
            if nxt is None:
                break  # libpq drops a trailing lone backslash
            current.append(nxt)
            escaped_any = True
        elif char == ":" and len(fields) < _FIELDS - 1:
            fields.append(("".join(current), not escaped_any and current == ["*"]))
            current, escaped_any = [], False
        elif char == ":":
            break  # the password ends at the next unescaped colon
        else:
            current.append(char)
    if len(fields) < _FIELDS - 1:
        return None
    fields.append(("".join(current), False))
    return fields


def parse_pgpass(text: str) -> list[PgpassEntry]:
    """Parse a password file; comments, blank and short lines are skipped (as libpq does)."""
    entries: list[PgpassEntry] = []
    for raw in text.split("\n"):
        line = raw.rstrip("\r")
        if not line or line.startswith("#"):
            continue
        fields = _split_line(line)
        if fields is None:
            continue
        keys = [None if star else value for value, star in fields[:4]]
        entries.append(
            PgpassEntry(
                host=keys[0], port=keys[1], database=keys[2], user=keys[3], password=fields[4][0]
            )
        )
    return entries


def match_pgpass(
    entries: Sequence[PgpassEntry], *, host: str, port: int, database: str, user: str
) -> str | None:
    """The password of the first matching entry (first match wins, even if empty), else None."""
    for entry in entries:
        if entry.matches(host=host, port=port, database=database, user=user):
            return entry.password
    return None


def pgpass_path(env: Mapping[str, str], home: Path) -> Path:
    """`$PGPASSFILE` when set and non-empty, else `~/.pgpass`."""
    configured = env.get("PGPASSFILE", "")
    return Path(configured) if configured else home / ".pgpass"


def check_pgpass_mode(path: Path, mode: int) -> None:
    """Refuse a file that group or others may access, with libpq's wording."""
    if mode & _GROUP_OR_WORLD:
        raise PgpassPermissionError(
            f'password file "{path}" has group or world access (mode {stat.S_IMODE(mode):04o}); '
            "permissions should be u=rw (0600) or less: run chmod 0600 on it"
        )


def read_pgpass_password(
    path: Path, *, host: str, port: int, database: str, user: str
) -> str | None:
    """Look a password up in the file at `path`; None when the file is absent or not a plain file.

    Raises PgpassPermissionError for a file readable by group or others, PgpassError when it
    cannot be read.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise PgpassError(f'password file "{path}" cannot be inspected: {exc.strerror}') from exc
    if not stat.S_ISREG(info.st_mode):
        return None  # libpq ignores e.g. PGPASSFILE=/dev/null
    check_pgpass_mode(path, info.st_mode)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PgpassError(f'password file "{path}" cannot be read: {exc}') from exc
    return match_pgpass(parse_pgpass(text), host=host, port=port, database=database, user=user)
