"""The admin services as one object the app keeps: state, sources, registries, entries, views."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mcp_registry_common.config import ServerConfig

from mcp_registry_server.service.admin_state import AdminState, Clock, utc_now
from mcp_registry_server.service.catalog import Catalog
from mcp_registry_server.service.engine import SyncEngineLike
from mcp_registry_server.service.entry_admin import EntryAdmin
from mcp_registry_server.service.registry_admin import RegistryAdmin
from mcp_registry_server.service.source_admin import SourceAdmin
from mcp_registry_server.service.views import ClaimViews


@dataclass(frozen=True, slots=True)
class AdminServices:
    """Everything behind `/v1/...` and the claim-filtered reads of `/registry/...`."""

    state: AdminState
    sources: SourceAdmin
    registries: RegistryAdmin
    entries: EntryAdmin
    views: ClaimViews


def build_admin_services(
    config: ServerConfig,
    *,
    catalog: Catalog,
    engine: Callable[[], SyncEngineLike | None],
    clock: Clock = utc_now,
) -> AdminServices:
    """The admin services over `catalog`; `engine` returns the running sync engine, if any."""
    state = AdminState(config=config, catalog=catalog, engine=engine, clock=clock)
    return AdminServices(
        state=state,
        sources=SourceAdmin(state),
        registries=RegistryAdmin(state),
        entries=EntryAdmin(state),
        views=ClaimViews(catalog=catalog, definitions=lambda: state.definitions),
    )
