"""`database:` of the server config: PostgreSQL connection, pool and credentials."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, model_validator

from mcp_registry_common.config.base import ConfigModel
from mcp_registry_common.durations import PositiveGoDuration
from mcp_registry_common.errorpaths import FieldPathError, Loc

SslMode = Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]
NonEmpty = Annotated[str, Field(min_length=1)]
DEFAULT_MAX_META_SIZE = 262144


class AwsRdsIamConfig(ConfigModel):
    """`dynamicAuth.awsRdsIam:` short-lived IAM tokens instead of passwords."""

    region: NonEmpty = Field(description="AWS region, or `detect` to read instance metadata.")


class DynamicAuthConfig(ConfigModel):
    """`dynamicAuth:`: credentials minted at connect time."""

    aws_rds_iam: AwsRdsIamConfig | None = None


class DatabaseConfig(ConfigModel):
    """`database:`. Absent means the in-memory store (ToolHive requires PostgreSQL).

    Passwords are optional: without them the server reads a pgpass file ($PGPASSFILE, else
    ~/.pgpass). They are never serialised, so a dumped config (a ConfigMap) cannot leak them.
    """

    host: NonEmpty
    port: int = Field(ge=1, le=65535)
    user: NonEmpty = Field(description="Application user (SELECT, INSERT, UPDATE, DELETE).")
    database: NonEmpty
    migration_user: NonEmpty = Field(
        description="User that runs migrations (CREATE, ALTER, DROP); defaults to `user`."
    )
    password: SecretStr | None = Field(default=None, exclude=True)
    migration_password: SecretStr | None = Field(
        default=None,
        exclude=True,
        description="Falls back to `password` when the migration user is the application user.",
    )
    ssl_mode: SslMode = Field(default="prefer", description="libpq sslmode; the CRD default.")
    ssl_root_cert: NonEmpty | None = Field(
        default=None, description="Ours: CA bundle checked under verify-ca and verify-full."
    )
    max_open_conns: int = Field(default=10, ge=1, description="Pool maximum size.")
    max_idle_conns: int = Field(default=2, ge=0, description="Pool minimum size kept open.")
    conn_max_lifetime: PositiveGoDuration = Field(
        default="30m", description="Connections older than this are closed and replaced."
    )
    max_meta_size: int = Field(
        default=DEFAULT_MAX_META_SIZE,
        description="Byte cap on one server's publisher-provided `_meta`.",
    )
    dynamic_auth: DynamicAuthConfig | None = None

    @model_validator(mode="before")
    @classmethod
    def _default_migration_user(cls, data: Any) -> Any:
        if isinstance(data, dict) and not {"migrationUser", "migration_user"} & data.keys():
            user = data.get("user")
            if user is not None:
                return {**data, "migrationUser": user}
        return data

    @model_validator(mode="after")
    def _credentials(self) -> DatabaseConfig:
        problems: list[tuple[Loc, str]] = []
        if self.max_meta_size <= 0:
            problems.append((("maxMetaSize",), "database.maxMetaSize must be greater than zero"))
        if self.dynamic_auth is not None:
            for key, value in (
                ("password", self.password),
                ("migrationPassword", self.migration_password),
            ):
                if value is not None:
                    problems.append(
                        (
                            (key,),
                            f"database.{key} and database.dynamicAuth are mutually exclusive; "
                            "use one authentication method",
                        )
                    )
        if problems:
            raise FieldPathError(problems)
        return self

    @property
    def resolved_migration_password(self) -> SecretStr | None:
        """`migrationPassword`, else `password` when both users are the same (ToolHive rule)."""
        if self.migration_password is not None:
            return self.migration_password
        return self.password if self.migration_user == self.user else None

    def config_notes(self) -> list[tuple[Loc, str]]:
        if self.ssl_root_cert is not None and not self.ssl_mode.startswith("verify-"):
            return [(("sslRootCert",), f"ignored: sslMode is {self.ssl_mode}")]
        return []
