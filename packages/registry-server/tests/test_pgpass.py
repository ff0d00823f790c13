"""pgpass parsing and matching (libpq rules), the 0600 rule, and password resolution order."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from mcp_registry_common.config.database import DatabaseConfig
from mcp_registry_server.store.postgres.credentials import (
    APP_PASSWORD_ENV,
    MIGRATION_PASSWORD_ENV,
    Endpoint,
    PasswordOrigin,
    resolve_password,
)
from mcp_registry_server.store.postgres.pgpass import (
    PgpassEntry,
    PgpassPermissionError,
    match_pgpass,
    parse_pgpass,
    pgpass_path,
    read_pgpass_password,
)
from mcp_registry_server.store.postgres.settings import DatabaseConfigError, database_settings
from pydantic import SecretStr

DB = {"host": "db.example", "port": 5432, "database": "registry", "user": "app"}


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("h:5432:db:u:pw", PgpassEntry("h", "5432", "db", "u", "pw")),
        ("*:*:*:*:pw", PgpassEntry(None, None, None, None, "pw")),
        # An escaped star is a literal star, not a wildcard.
        (r"\*:*:db:u:pw", PgpassEntry("*", None, "db", "u", "pw")),
        # Escaped colons and backslashes in keys and password.
        (r"h\:1:5432:d\\b:u:p\:w\\", PgpassEntry("h:1", "5432", r"d\b", "u", r"p:w" "\\")),
        # The password ends at the next unescaped colon (libpq ignores the rest).
        ("h:1:d:u:pw:extra", PgpassEntry("h", "1", "d", "u", "pw")),
        # A backslash before an ordinary character just yields that character.
        (r"h:1:d:u:\a\b", PgpassEntry("h", "1", "d", "u", "ab")),
        # Spaces are significant (libpq does not strip them).
        ("h:1:d:u: pw ", PgpassEntry("h", "1", "d", "u", " pw ")),
        ("h:1:d:u:", PgpassEntry("h", "1", "d", "u", "")),
        ("h:1:d:u:pw\r", PgpassEntry("h", "1", "d", "u", "pw")),
        ("**:1:d:u:pw", PgpassEntry("**", "1", "d", "u", "pw")),
    ],
)
def test_parse_line(line: str, expected: PgpassEntry) -> None:
    assert parse_pgpass(line) == [expected]
    assert parse_pgpass(line)[0].password == expected.password


@pytest.mark.parametrize(
    "text",
    ["", "# h:1:d:u:pw", "h:1:d:u", r"h:1:d:u\:pw", "\n\n", "h:1:d"],
)
def test_lines_without_five_fields_are_skipped(text: str) -> None:
    assert parse_pgpass(text) == []


FILE = "\n".join(
    [
        "# comment",
        "db.example:5432:registry:app:first",
        "db.example:5432:registry:app:second-never-used",
        "db.example:*:*:migrator:mig",
        "*:5433:*:*:any-on-5433",
        "other:5432:registry:app:other-host",
    ]
)


@pytest.mark.parametrize(
    ("host", "port", "database", "user", "expected"),
    [
        ("db.example", 5432, "registry", "app", "first"),  # first match wins
        ("db.example", 6000, "x", "migrator", "mig"),
        ("anything", 5433, "d", "someone", "any-on-5433"),
        ("other", 5432, "registry", "app", "other-host"),
        ("db.example", 5432, "registry", "nobody", None),
        ("DB.EXAMPLE", 5432, "registry", "app", None),  # comparison is exact
    ],
)
def test_match(host: str, port: int, database: str, user: str, expected: str | None) -> None:
    entries = parse_pgpass(FILE)
    assert match_pgpass(entries, host=host, port=port, database=database, user=user) == expected


def test_pgpass_path_prefers_env(tmp_path: Path) -> None:
    assert pgpass_path({"PGPASSFILE": "/x/pw"}, tmp_path) == Path("/x/pw")
    assert pgpass_path({"PGPASSFILE": ""}, tmp_path) == tmp_path / ".pgpass"
    assert pgpass_path({}, tmp_path) == tmp_path / ".pgpass"


def _write(path: Path, text: str, mode: int) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


LOOKUP: dict[str, Any] = {"host": "db.example", "port": 5432, "database": "registry", "user": "app"}


@pytest.mark.parametrize("mode", [0o600, 0o400, 0o200 | 0o400])
def test_private_file_is_read(tmp_path: Path, mode: int) -> None:
    path = _write(tmp_path / "pgpass", FILE, mode)
    found = read_pgpass_password(path, **LOOKUP)
    assert found == "first"


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o610, 0o601])
def test_group_or_world_access_is_refused(tmp_path: Path, mode: int) -> None:
    path = _write(tmp_path / "pgpass", FILE, mode)
    with pytest.raises(PgpassPermissionError) as info:
        read_pgpass_password(path, **LOOKUP)
    message = str(info.value)
    assert str(path) in message
    assert "has group or world access" in message
    assert "permissions should be u=rw (0600) or less" in message
    assert f"{mode:04o}" in message


def test_missing_file_and_non_regular_file_give_no_password(tmp_path: Path) -> None:
    assert read_pgpass_password(tmp_path / "absent", **LOOKUP) is None
    assert read_pgpass_password(Path(os.devnull), **LOOKUP) is None
    assert read_pgpass_password(tmp_path, **LOOKUP) is None


ENDPOINT = Endpoint(host="db.example", port=5432, database="registry")


@pytest.mark.parametrize(
    ("explicit", "env", "expected", "origin"),
    [
        ("from-config", {APP_PASSWORD_ENV: "from-env"}, "from-config", PasswordOrigin.CONFIG),
        (None, {APP_PASSWORD_ENV: "from-env"}, "from-env", PasswordOrigin.ENV),
        ("", {APP_PASSWORD_ENV: ""}, "first", PasswordOrigin.PGPASS),
        (None, {}, "first", PasswordOrigin.PGPASS),
    ],
)
def test_resolution_order(
    tmp_path: Path,
    explicit: str | None,
    env: dict[str, str],
    expected: str,
    origin: PasswordOrigin,
) -> None:
    pgpass = _write(tmp_path / "pgpass", FILE, 0o600)
    cred = resolve_password(
        "app",
        explicit=explicit,
        env_var=APP_PASSWORD_ENV,
        env={**env, "PGPASSFILE": str(pgpass)},
        endpoint=ENDPOINT,
        home=tmp_path,
    )
    assert (cred.password, cred.origin) == (expected, origin)
    assert expected not in repr(cred)


def test_pgpass_is_not_read_when_a_password_is_given(tmp_path: Path) -> None:
    # A world-readable file is only an error when it is actually consulted (as in libpq).
    pgpass = _write(tmp_path / "pgpass", FILE, 0o644)
    cred = resolve_password(
        "app",
        explicit=None,
        env_var=APP_PASSWORD_ENV,
        env={APP_PASSWORD_ENV: "pw", "PGPASSFILE": str(pgpass)},
        endpoint=ENDPOINT,
        home=tmp_path,
    )
    assert cred.origin is PasswordOrigin.ENV


def test_home_pgpass_is_used_without_pgpassfile(tmp_path: Path) -> None:
    _write(tmp_path / ".pgpass", FILE, 0o600)
    cred = resolve_password(
        "app", explicit=None, env_var=APP_PASSWORD_ENV, env={}, endpoint=ENDPOINT, home=tmp_path
    )
    assert cred.password == "first"


def _config(**overrides: object) -> DatabaseConfig:
    return DatabaseConfig.model_validate({**DB, "sslMode": "disable", **overrides})


def test_migration_user_is_looked_up_with_its_own_name(tmp_path: Path) -> None:
    pgpass = _write(tmp_path / "pgpass", FILE, 0o600)
    settings = database_settings(
        _config(migrationUser="migrator"), env={"PGPASSFILE": str(pgpass)}, home=tmp_path
    )
    assert (settings.app.user, settings.app.credential.password) == ("app", "first")
    assert (settings.migration.user, settings.migration.credential.password) == ("migrator", "mig")
    assert settings.separate_roles


def test_same_user_reuses_the_app_password(tmp_path: Path) -> None:
    settings = database_settings(_config(password="s3cret"), env={}, home=tmp_path)
    assert settings.migration.user == "app"
    assert settings.migration.credential.password == "s3cret"
    assert settings.migration.credential.origin is PasswordOrigin.APP_USER
    assert not settings.separate_roles


def test_migration_password_from_env(tmp_path: Path) -> None:
    env = {APP_PASSWORD_ENV: "a", MIGRATION_PASSWORD_ENV: "m"}
    settings = database_settings(_config(migrationUser="migrator"), env=env, home=tmp_path)
    assert settings.app.credential.password == "a"
    assert settings.migration.credential.password == "m"
    assert settings.migration.credential.origin is PasswordOrigin.ENV


def test_explicit_migration_password(tmp_path: Path) -> None:
    config = _config(migrationUser="migrator").model_copy(
        update={"migration_password": SecretStr("mp")}
    )
    settings = database_settings(config, env={}, home=tmp_path)
    assert settings.migration.credential.origin is PasswordOrigin.CONFIG


def test_no_password_anywhere(tmp_path: Path) -> None:
    settings = database_settings(_config(), env={}, home=tmp_path)
    assert settings.app.credential.origin is PasswordOrigin.NONE
    assert not settings.app.credential.has_password


def test_world_readable_pgpass_fails_settings_with_a_clear_error(tmp_path: Path) -> None:
    pgpass = _write(tmp_path / "pgpass", FILE, 0o644)
    with pytest.raises(PgpassPermissionError, match="group or world access"):
        database_settings(_config(), env={"PGPASSFILE": str(pgpass)}, home=tmp_path)


def test_log_fields_never_carry_the_password(tmp_path: Path) -> None:
    settings = database_settings(_config(password="hunter2-secret"), env={}, home=tmp_path)
    fields = settings.app.log_fields()
    assert fields["has_password"] is True
    assert fields["password_origin"] == "config"
    assert "hunter2-secret" not in repr(fields)
    assert "hunter2-secret" not in repr(settings)


def test_dynamic_auth_is_refused(tmp_path: Path) -> None:
    config = _config(dynamicAuth={"awsRdsIam": {"region": "detect"}})
    with pytest.raises(DatabaseConfigError, match="dynamicAuth"):
        database_settings(config, env={}, home=tmp_path)
