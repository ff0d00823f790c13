"""What a source created through the admin API may reach (`sync.adminSources`): no non-public
address unless the config lets such sources ask for it, and no local file outside the
configured roots. The config file's own sources are not limited here (their author runs the
server); their fetches are still guarded unless allowed (`sync.allowPrivateIP`)."""

from __future__ import annotations

from mcp_registry_common.config import SourceConfig
from mcp_registry_common.config.sync import AdminSourcePolicy, SyncSettings

from mcp_registry_server.service.errors import ForbiddenError
from mcp_registry_server.sources.localfiles import local_path, under_roots

NO_POLICY = AdminSourcePolicy()
"""`sync.adminSources` when absent: no private addresses, no local files."""


def admin_policy(sync: SyncSettings | None) -> AdminSourcePolicy:
    """`sync.adminSources`, or `NO_POLICY` when the config has none."""
    policy = sync.admin_sources if sync is not None else None
    return policy if policy is not None else NO_POLICY


def check_admin_source(config: SourceConfig, policy: AdminSourcePolicy) -> None:
    """ForbiddenError when `config`, sent to the admin API, asks for more than `policy` gives."""
    if config.allow_private_ip and not policy.allow_private_ip:
        raise ForbiddenError(
            "forbidden: allowPrivateIP is not allowed for sources created through the admin "
            "API (the server config's sync.adminSources.allowPrivateIP)"
        )
    path = local_path(config)
    if path is not None and not under_roots(path, policy.file_roots):
        raise ForbiddenError(
            "forbidden: a local file of a source created through the admin API must lie under "
            "one of the server config's sync.adminSources.fileRoots"
            + ("" if policy.file_roots else " (none are configured)")
        )
