"""spec.databaseConfig: the PostgreSQL connection of the registry server."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictInt

from mcp_registry_common.base import WireModel
from mcp_registry_common.durations import GoDuration
from mcp_registry_common.mcpregistry.refs import SecretKeySelector
from mcp_registry_common.mcpregistry.strings import ShortText

SSLMode = Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]


class AwsRdsIam(WireModel):
    """Authenticate with short-lived AWS RDS IAM tokens instead of passwords."""

    region: ShortText = Field(
        description="AWS region of the database, or `detect` to read it from the environment."
    )


class DynamicAuth(WireModel):
    """Password-less database authentication."""

    aws_rds_iam: AwsRdsIam | None = Field(default=None, description="AWS RDS IAM authentication.")


class DatabaseConfig(WireModel):
    """PostgreSQL settings. Passwords reach the server through a generated pgpass file, never
    through its ConfigMap."""

    host: ShortText = Field(default="postgres", description="Database server host name.")
    port: Annotated[StrictInt, Field(ge=1, le=65535)] = Field(
        default=5432, description="Database server port."
    )
    user: ShortText = Field(
        default="db_app", description="Application user (SELECT, INSERT, UPDATE, DELETE)."
    )
    migration_user: ShortText = Field(
        default="db_migrator", description="Migration user (CREATE, ALTER, DROP)."
    )
    database: ShortText = Field(default="registry", description="Database name.")
    ssl_mode: SSLMode = Field(default="prefer", description="libpq SSL mode.")
    max_open_conns: Annotated[StrictInt, Field(ge=1)] = Field(
        default=10, description="Maximum open connections in the pool."
    )
    max_idle_conns: Annotated[StrictInt, Field(ge=0)] = Field(
        default=2, description="Maximum idle connections kept in the pool."
    )
    conn_max_lifetime: GoDuration = Field(
        default="30m", description="Maximum lifetime of a connection as a Go duration."
    )
    max_meta_size: Annotated[StrictInt, Field(ge=1)] | None = Field(
        default=None,
        description="Maximum size in bytes of an entry's publisher metadata. Defaults to 262144.",
    )
    dynamic_auth: DynamicAuth | None = Field(
        default=None, description="Password-less authentication (AWS RDS IAM)."
    )
    db_app_user_password_secret_ref: SecretKeySelector = Field(
        description="Secret key holding the application user's password."
    )
    db_migration_user_password_secret_ref: SecretKeySelector = Field(
        description="Secret key holding the migration user's password."
    )
