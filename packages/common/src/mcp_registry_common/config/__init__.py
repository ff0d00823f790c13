"""The registry server's config.yaml: models, loader and dumper (ToolHive's format, plus ours).

Differences from toolhive-registry-server, on purpose:
- `database:` is optional (absent = in-memory store); `sslMode` defaults to `prefer` (the CRD's).
- Sources may say `format: toolhive|upstream` (absent = auto-detect); `api.maxPages` caps paging.
- Sync timeouts: `sync.timeout` and `syncPolicy.timeout` bound one attempt, `git.timeout` is
  the git transports' socket timeout.
- Every problem is reported (not just the first), each prefixed with its key path.
- Unknown keys warn instead of being silently ignored; claim keys keep their case.
- git `branch`/`tag`/`commit` together resolve by precedence commit > tag > branch.
- Files named by the config (passwordFile, clientSecretFile, audit.logFile) are not opened
  here: the models are pure, and the operator renders paths of volumes it mounts later.

Models accept unknown keys (kept in `model_extra`, never dumped); `load_server_config*`
turns them into warnings. A config built in Python gets the same list from
`collect_notices(config)`, so a misspelt keyword argument does not pass unnoticed.
"""

from mcp_registry_common.config.auth import (
    ALLOW_INSECURE_URLS,
    AuthConfig,
    AuthMode,
    AuthzConfig,
    OAuthConfig,
    OAuthProvider,
)
from mcp_registry_common.config.database import (
    AwsRdsIamConfig,
    DatabaseConfig,
    DynamicAuthConfig,
    SslMode,
)
from mcp_registry_common.config.loading import (
    ConfigError,
    LoadedConfig,
    dump_server_config,
    load_server_config,
    load_server_config_data,
    load_server_config_file,
)
from mcp_registry_common.config.notices import collect_notices
from mcp_registry_common.config.observability import (
    AuditConfig,
    MetricsConfig,
    TelemetryConfig,
    TracingConfig,
)
from mcp_registry_common.config.server import RegistryConfig, ServerConfig
from mcp_registry_common.config.sources import (
    ApiSourceConfig,
    FileSourceConfig,
    GitAuth,
    GitSourceConfig,
    KubernetesSourceConfig,
    ManagedSourceConfig,
    SourceConfig,
    SourceKind,
    SyncPolicy,
)
from mcp_registry_common.config.sync import SyncSettings

__all__ = [
    "ALLOW_INSECURE_URLS",
    "ApiSourceConfig",
    "AuditConfig",
    "AuthConfig",
    "AuthMode",
    "AuthzConfig",
    "AwsRdsIamConfig",
    "ConfigError",
    "DatabaseConfig",
    "DynamicAuthConfig",
    "FileSourceConfig",
    "GitAuth",
    "GitSourceConfig",
    "KubernetesSourceConfig",
    "LoadedConfig",
    "ManagedSourceConfig",
    "MetricsConfig",
    "OAuthConfig",
    "OAuthProvider",
    "RegistryConfig",
    "ServerConfig",
    "SourceConfig",
    "SourceKind",
    "SslMode",
    "SyncPolicy",
    "SyncSettings",
    "TelemetryConfig",
    "TracingConfig",
    "collect_notices",
    "dump_server_config",
    "load_server_config",
    "load_server_config_data",
    "load_server_config_file",
]
