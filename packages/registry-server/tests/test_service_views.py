"""Claim views: what a claim-bearing caller is served, and the ETag that names it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mcp_registry_common.config import RegistryConfig, SourceConfig
from mcp_registry_common.formats import ExtensionKind
from mcp_registry_server.service.caller import Caller
from mcp_registry_server.service.catalog import Catalog
from mcp_registry_server.service.definitions import Definitions, Origin, RegistryDef, SourceDef
from mcp_registry_server.service.views import ClaimViews
from mcp_registry_server.store.base import SourceData
from mcp_registry_server.store.memory import MemoryStore

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
ACME, GLOBEX = {"org": "acme"}, {"org": "globex"}
CALLER = Caller(claims=ACME)


def definitions(claims: dict[str, dict[str, Any]], *, revision: int) -> Definitions:
    sources = {
        name: SourceDef(
            SourceConfig.model_validate(
                {
                    "name": name,
                    "file": {"path": f"/{name}.json"},
                    "syncPolicy": {"interval": "1h"},
                    "claims": source_claims,
                }
            ),
            Origin.CONFIG,
            T0,
            T0,
        )
        for name, source_claims in claims.items()
    }
    registry = RegistryConfig.model_validate({"name": "r", "sources": list(claims), "claims": ACME})
    return Definitions(
        sources=sources,
        registries={"r": RegistryDef(registry, Origin.CONFIG, T0, T0)},
        revision=revision,
    )


async def view_of(defs: Definitions) -> tuple[str, list[str]]:
    store = MemoryStore()
    for source in ("s1", "s2"):
        servers = [{"name": f"io.x/{source}", "description": source, "version": "1.0.0"}]
        await store.replace_source(SourceData(source, servers, f"hash-{source}", T0))
    catalog = Catalog(topology=defs.topology())
    await catalog.refresh(store)
    view = await ClaimViews(catalog=catalog, definitions=lambda: defs).snapshot_for("r", CALLER)
    assert view is not None
    return view.etag, [entry.name for entry in view.entries]


async def test_replicas_at_the_same_revision_with_other_claims_give_other_etags() -> None:
    # Two replicas, each at its own revision 1: the caller sees claims {org: acme} on both,
    # but on one they tag s1 and on the other s2, so each serves a different entry.
    first = await view_of(definitions({"s1": ACME, "s2": GLOBEX}, revision=1))
    second = await view_of(definitions({"s1": GLOBEX, "s2": ACME}, revision=1))
    assert first[1] == ["io.x/s1"]
    assert second[1] == ["io.x/s2"]
    assert first[0] != second[0]


async def test_equal_claims_give_equal_etags_whatever_the_revision() -> None:
    first = await view_of(definitions({"s1": ACME, "s2": GLOBEX}, revision=1))
    again = await view_of(definitions({"s1": ACME, "s2": GLOBEX}, revision=7))
    assert first == again


async def test_skills_and_plugins_are_claim_filtered_before_dedup() -> None:
    # Both sources hold io.x/pdf: s1's copy is hidden from the caller, so s2's is promoted;
    # s1's own skill and plugin stay hidden.
    defs = definitions({"s1": GLOBEX, "s2": ACME}, revision=1)
    store = MemoryStore()
    for source in ("s1", "s2"):
        skills = [{"namespace": "io.x", "name": "pdf", "description": source, "version": "1"}]
        skills.append({"namespace": "io.x", "name": source, "description": "d", "version": "1"})
        plugins = [{"namespace": "io.x", "name": f"p-{source}", "description": "d", "version": "1"}]
        await store.replace_source(
            SourceData(source, [], f"hash-{source}", T0, skills=skills, plugins=plugins)
        )
    catalog = Catalog(topology=defs.topology())
    await catalog.refresh(store)
    everything = catalog.snapshot("r")
    assert everything is not None
    assert [e.name for e in everything.items(ExtensionKind.SKILL).entries] == [
        "io.x/pdf",
        "io.x/s1",
        "io.x/s2",
    ]
    view = await ClaimViews(catalog=catalog, definitions=lambda: defs).snapshot_for("r", CALLER)
    assert view is not None
    skills = view.items(ExtensionKind.SKILL)
    assert [e.name for e in skills.entries] == ["io.x/pdf", "io.x/s2"]
    pdf = skills.get("io.x/pdf", "latest")
    assert pdf is not None
    assert b'"description":"s2"' in pdf.body
    assert [e.name for e in view.items(ExtensionKind.PLUGIN).entries] == ["io.x/p-s2"]
    assert view.etag != everything.etag
