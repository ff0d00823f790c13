"""Skills and plugins end to end, in memory and on PostgreSQL: a file source's are synced
(filtered by `namespace/name`) and served under `/x/dev.toolhive`, published ones go through
the managed source (publish, list, get, delete, claims), and both survive into source status."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from jsonschema import Draft202012Validator
from mcp_registry_common.config import load_server_config_data
from mcp_registry_server.app import create_apps
from mcp_registry_server.store.postgres import postgres_store_opener
from mcp_registry_testing.authz import server, upstream_document
from mcp_registry_testing.postgres import PgDatabase
from pytest_aiohttp import AiohttpClient

SKILLS = "/registry/default/v0.1/x/dev.toolhive/skills"
PLUGINS = "/registry/default/v0.1/x/dev.toolhive/plugins"
Start = Callable[[], Awaitable[TestClient[Any, Any]]]


def skill(namespace: str, name: str, version: str = "1.0.0", **fields: Any) -> dict[str, Any]:
    return {
        "namespace": namespace,
        "name": name,
        "description": f"{name} {version}",
        "version": version,
        **fields,
    }


def catalog_file(path: Path) -> Path:
    document = upstream_document([server("io.acme/tool")])
    document["data"]["skills"] = [
        skill("io.acme", "pdf", "1.0.0", title="PDF tools"),
        skill("io.acme", "pdf", "1.2.0", allowedTools=["Read"]),
        skill("io.other", "pdf", "0.1.0"),
        skill("io.acme", "secret-notes", "1.0.0"),
        skill("io.acme", "shared", "9.0.0"),
    ]
    document["data"]["plugins"] = [skill("io.acme", "lint", "2.0.0", status="deprecated")]
    path.write_text(json.dumps(document))
    return path


@pytest.fixture(params=["memory", "postgres"])
async def start(
    request: pytest.FixtureRequest, tmp_path: Path, aiohttp_client: AiohttpClient
) -> Start:
    document: dict[str, Any] = {
        "sources": [
            {"name": "published", "managed": {}},
            {
                "name": "catalog",
                "file": {"path": str(catalog_file(tmp_path / "catalog.json"))},
                "syncPolicy": {"interval": "1h"},
                "filter": {"names": {"exclude": ["io.acme/secret-*"]}},
            },
        ],
        "registries": [{"name": "default", "sources": ["published", "catalog"]}],
        "auth": {"mode": "anonymous"},
    }
    opener = None
    if request.param == "postgres":
        request.applymarker(pytest.mark.db)
        pg_db = request.getfixturevalue("pg_db")
        document["database"] = pg_db.config_data()
    config = load_server_config_data(document).config
    if config.database is not None:
        opener = postgres_store_opener(config.database, env=pg_db.env, home=tmp_path)

    async def open_client() -> TestClient[Any, Any]:
        app = create_apps(config, store_opener=opener, run_sync=False)[0]
        return await aiohttp_client(app)

    return open_client


async def get(client: TestClient[Any, Any], path: str, status: int = 200) -> Any:
    response = await client.get(path)
    assert response.status == status, await response.text()
    return await response.json()


async def test_a_file_source_serves_its_filtered_skills_and_plugins(start: Start) -> None:
    client = await start()
    synced = await (await client.post("/v1/sources/catalog/sync")).json()
    assert synced["syncStatus"]["phase"] == "complete"
    counts = {
        key: synced["syncStatus"][key] for key in ("serverCount", "skillCount", "pluginCount")
    }
    assert counts == {"serverCount": 1, "skillCount": 4, "pluginCount": 1}

    listed = await get(client, SKILLS)
    keys = [(s["namespace"], s["name"], s["version"]) for s in listed["skills"]]
    assert keys == [
        ("io.acme", "pdf", "1.0.0"),
        ("io.acme", "pdf", "1.2.0"),
        ("io.acme", "shared", "9.0.0"),
        ("io.other", "pdf", "0.1.0"),
    ]  # io.acme/secret-notes is filtered out; namespaces keep same-named skills apart
    assert listed["metadata"] == {"count": 4}
    assert all(s["status"] == "active" for s in listed["skills"])
    latest = await get(client, f"{SKILLS}/io.acme/pdf")
    assert (latest["version"], latest["allowedTools"]) == ("1.2.0", ["Read"])
    assert (await get(client, f"{SKILLS}/io.other/pdf/versions/latest"))["version"] == "0.1.0"
    one = await get(client, f"{SKILLS}/io.acme/pdf/versions/1.0.0")
    assert one["title"] == "PDF tools"
    versions = await get(client, f"{SKILLS}/io.acme/pdf/versions")
    assert [s["version"] for s in versions["skills"]] == ["1.0.0", "1.2.0"]
    await get(client, f"{SKILLS}/io.acme/secret-notes", status=404)
    await get(client, f"{SKILLS}/io.acme/pdf/versions/3.0.0", status=404)
    await get(client, f"{SKILLS}/io.acme/nope/versions", status=404)
    assert (await get(client, f"{SKILLS}?search=pdf+tools"))["metadata"]["count"] == 1

    plugins = await get(client, PLUGINS)
    assert [(p["name"], p["status"]) for p in plugins["plugins"]] == [("lint", "deprecated")]
    internal = await get(client, "/v1/sources/catalog")
    assert internal["syncStatus"]["skillCount"] == 4


async def test_skill_pages_follow_the_cursor_and_revalidate(start: Start) -> None:
    client = await start()
    assert (await client.post("/v1/sources/catalog/sync")).status == 200
    seen: list[str] = []
    path = f"{SKILLS}?limit=1"
    while True:
        page = await get(client, path)
        seen += [f"{s['namespace']}/{s['name']}@{s['version']}" for s in page["skills"]]
        cursor = page["metadata"].get("nextCursor")
        if cursor is None:
            break
        path = f"{SKILLS}?limit=1&cursor={cursor}"
    assert seen == [
        "io.acme/pdf@1.0.0",
        "io.acme/pdf@1.2.0",
        "io.acme/shared@9.0.0",
        "io.other/pdf@0.1.0",
    ]
    first = await client.get(SKILLS)
    again = await client.get(SKILLS, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status == 304
    problem = await get(client, f"{SKILLS}?limit=101", status=400)
    assert "limit" in problem["detail"]
    await get(client, f"{SKILLS}?cursor=bogus", status=400)
    await get(client, "/registry/nope/v0.1/x/dev.toolhive/skills", status=404)


async def test_publish_list_get_delete_round_trip(start: Start) -> None:
    client = await start()
    assert (await client.post("/v1/sources/catalog/sync")).status == 200
    for version in ("1.0.0", "1.10.0", "1.9.0"):
        body = {"skill": skill("io.mine", "notes", version), "claims": {"team": "a"}}
        response = await client.post("/v1/entries", json=body)
        assert response.status == 201, await response.text()
        assert (await response.json())["version"] == version
    shadow = {"skill": skill("io.acme", "shared", "1.0.0")}
    assert (await client.post("/v1/entries", json=shadow)).status == 201
    plugin = {"plugin": skill("io.mine", "fmt", "0.1.0")}
    assert (await client.post("/v1/entries", json=plugin)).status == 201

    duplicate = await client.post("/v1/entries", json={**body, "claims": {"team": "a"}})
    assert duplicate.status == 409
    mismatch = {"skill": skill("io.mine", "notes", "2.0.0"), "claims": {"team": "b"}}
    assert (await client.post("/v1/entries", json=mismatch)).status == 409

    assert (await get(client, f"{SKILLS}/io.mine/notes"))["version"] == "1.10.0"  # semver
    # the managed source comes first: its io.acme/shared hides the catalog's (all versions)
    shared = await get(client, f"{SKILLS}/io.acme/shared/versions")
    assert [s["version"] for s in shared["skills"]] == ["1.0.0"]
    assert [p["name"] for p in (await get(client, PLUGINS))["plugins"]] == ["lint", "fmt"]
    claims = await get(client, "/v1/entries/skill/io.mine%2Fnotes/claims")
    assert claims == {"claims": {"team": "a"}}
    entries = (await get(client, "/v1/sources/published/entries"))["entries"]
    assert [(e["entryType"], e["name"], len(e["versions"])) for e in entries] == [
        ("SKILL", "io.acme/shared", 1),
        ("PLUGIN", "io.mine/fmt", 1),
        ("SKILL", "io.mine/notes", 3),
    ]
    assert entries[2]["claims"] == {"team": "a"}
    flat = (await get(client, "/v1/registries/default/entries"))["entries"]
    shared = [(e["entryType"], e["sourceName"]) for e in flat if e["name"] == "io.acme/shared"]
    assert shared == [("SKILL", "published"), ("SKILL", "catalog")]  # unshadowed
    assert await get(client, "/v1/entries/skill/notes/claims") == claims  # ToolHive's bare name

    deleted = await client.delete("/v1/entries/skill/io.mine%2Fnotes/versions/1.10.0")
    assert deleted.status == 204
    assert (await get(client, f"{SKILLS}/io.mine/notes"))["version"] == "1.9.0"
    for version in ("1.0.0", "1.9.0"):
        path = f"/v1/entries/skill/io.mine%2Fnotes/versions/{version}"
        assert (await client.delete(path)).status == 204
    await get(client, f"{SKILLS}/io.mine/notes", status=404)
    await get(client, "/v1/entries/skill/io.mine%2Fnotes/claims", status=404)
    assert (await client.delete("/v1/entries/plugin/fmt/versions/0.1.0")).status == 204
    assert [p["name"] for p in (await get(client, PLUGINS))["plugins"]] == ["lint"]


@pytest.mark.db
async def test_published_skills_survive_a_restart_on_postgres(
    pg_db: PgDatabase, tmp_path: Path, aiohttp_client: AiohttpClient
) -> None:
    document = {
        "sources": [{"name": "published", "managed": {}}],
        "registries": [{"name": "default", "sources": ["published"]}],
        "auth": {"mode": "anonymous"},
        "database": pg_db.config_data(),
    }
    config = load_server_config_data(document).config
    assert config.database is not None
    opener = postgres_store_opener(config.database, env=pg_db.env, home=tmp_path)
    first = await aiohttp_client(create_apps(config, store_opener=opener, run_sync=False)[0])
    body = {"skill": skill("io.mine", "notes", "1.0.0"), "claims": {"team": "a"}}
    assert (await first.post("/v1/entries", json=body)).status == 201
    assert (await first.post("/v1/entries", json={"plugin": skill("io.mine", "fmt")})).status == 201
    await first.close()
    second = await aiohttp_client(create_apps(config, store_opener=opener, run_sync=False)[0])
    assert [s["name"] for s in (await get(second, SKILLS))["skills"]] == ["notes"]
    assert [p["name"] for p in (await get(second, PLUGINS))["plugins"]] == ["fmt"]
    claims = await get(second, "/v1/entries/skill/io.mine%2Fnotes/claims")
    assert claims == {"claims": {"team": "a"}}


async def test_responses_match_the_openapi_schemas(start: Start) -> None:
    client = await start()
    assert (await client.post("/v1/sources/catalog/sync")).status == 200
    document = await get(client, "/openapi.json")

    def check(schema: str, instance: Any) -> None:
        wrapper = {"$ref": f"#/components/schemas/{schema}", "components": document["components"]}
        Draft202012Validator(wrapper).validate(instance)

    check("SkillList", await get(client, f"{SKILLS}?limit=2"))
    check("Skill", await get(client, f"{SKILLS}/io.acme/pdf"))
    check("PluginList", await get(client, f"{PLUGINS}/io.acme/lint/versions"))
    check("Plugin", await get(client, f"{PLUGINS}/io.acme/lint/versions/2.0.0"))
    check("Problem", await get(client, f"{PLUGINS}/io.acme/none", status=404))
