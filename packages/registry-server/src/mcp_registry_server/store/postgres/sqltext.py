"""Quote identifiers and literals for the few statements that cannot take bind parameters."""

from __future__ import annotations


def quote_ident(name: str) -> str:
    """A PostgreSQL identifier, always double-quoted (so case and any character are kept)."""
    if not name or "\x00" in name:
        raise ValueError(f"invalid SQL identifier {name!r}")
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """A standard-conforming string literal ('' for a quote; backslashes are not special)."""
    if "\x00" in value:
        raise ValueError("a SQL literal cannot contain NUL")
    return "'" + value.replace("'", "''") + "'"
