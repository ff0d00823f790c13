"""Peak RSS of the real server syncing hostile and realistic documents, against the memory rule.

Each scenario starts `mcp-registry-server serve` (default limits unless it says) as a child
process with one file source, writes one document after another and syncs each by hand; the
peak RSS of each step (VmHWM, reset before the step) is printed over the RSS the server had
before its first document ("base"), in MiB and per byte of the byte cap (k). The memory rule
of the README says peak <= base + k x cap with k = RSS_PER_CAP_BYTE; the last line sums it up.

Scenarios: the issue's 18 MB reproduction and two documents under the cap that are refused by
what they hold; realistic upstream and legacy catalogs just under the cap (compact JSON, the
costliest per byte), in a file or (upstream) as API pages, synced then re-synced changed; the
costliest documents the limits still let through (the densest JSON values allowed, as many
minimal servers as allowed, one string filling the cap with an emoji), each after a realistic
catalog at the cap is stored; and a ~100 MiB realistic catalog, which the cap refuses (with
--at-100 also accepted, with the cap raised to 128 MiB, to show what it would cost).
About 45 to 75 s here (a minute more with --at-100).
Usage: hatch run python bench/document_memory.py [--at-100]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from mcp_registry_common.formats.limits import (
    BYTES_PER_SERVER,
    BYTES_PER_VALUE,
    DEFAULT_MAX_DOCUMENT_BYTES,
    MIB,
)
from mcp_registry_common.memory import (
    BASE_RSS,
    DEFAULT_MEMORY_LIMIT,
    RSS_PER_CAP_BYTE,
    peak_rss_bound,
)
from mcp_registry_testing.hostiledocs import (
    REPRODUCTION_COUNT,
    empty_servers_legacy,
    empty_servers_upstream,
)
from mcp_registry_testing.loopback import Served, serve
from mcp_registry_testing.serverprocess import ServerProcess
from mcp_registry_testing.waiting import wait_for

CAP = DEFAULT_MAX_DOCUMENT_BYTES
SAMPLES = Path(__file__).resolve().parents[1] / "testdata" / "registry-samples" / "fictional"
UNDER_CAP = CAP - 64 * 1024
"""Size the realistic and worst-case documents aim at: just under the cap."""

Document = Callable[[int], bytes]
"""A document builder; its argument makes each build's content differ (a re-sync changes it)."""


# -- documents ---------------------------------------------------------------------------------


def compact(doc: object) -> bytes:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()


def realistic_upstream(target: int) -> Document:
    """Renamed copies of the fictional sample's servers, compact, about `target` bytes."""
    sample = json.loads((SAMPLES / "registry-upstream.json").read_bytes())
    templates = sample["data"]["servers"]

    def build(variant: int) -> bytes:
        servers: list[dict[str, Any]] = []
        size = 0
        while size < target - 4096:
            server = copy.deepcopy(templates[len(servers) % len(templates)])
            server["name"] = f"io.example.bench/server-{len(servers):07d}"
            server["description"] = f"{server['description']} (copy {len(servers)}.{variant})"
            servers.append(server)
            size += len(compact(server)) + 1
        return compact(sample | {"data": {"servers": servers}})

    return build


def realistic_legacy(target: int) -> Document:
    """Renamed copies of the fictional legacy sample's entries, compact, about `target` bytes."""
    sample = json.loads((SAMPLES / "registry-legacy.json").read_bytes())
    templates = [
        (kind, entry)
        for kind in ("servers", "remote_servers")
        for entry in sample.get(kind, {}).values()
    ]

    def build(variant: int) -> bytes:
        out: dict[str, dict[str, Any]] = {"servers": {}, "remote_servers": {}}
        size = count = 0
        while size < target - 4096:
            kind, template = templates[count % len(templates)]
            entry = copy.deepcopy(template)
            entry.pop("name", None)
            entry["description"] = f"{entry.get('description', 'd')} (copy {count}.{variant})"
            key = f"server-{count:07d}"
            out[kind][key] = entry
            size += len(compact(entry)) + len(key) + 4
            count += 1
        return compact({k: v for k, v in sample.items() if k not in out} | out)

    return build


def one_server(variant: int, **fields: Any) -> dict[str, Any]:
    server = {"name": f"io.example/only-{variant}", "description": "d", "version": "1.0.0"}
    return server | fields


def densest_allowed(variant: int) -> bytes:
    """A valid document holding as many JSON values as the limit allows, each as costly as can
    be: short unique keys with short string values (about 210 bytes each once parsed)."""
    members = CAP // BYTES_PER_VALUE - 16
    head = b'{"data":{"servers":[' + compact(one_server(variant)) + b']},"x":{'
    body = b",".join(b'"%x":"ab"' % i for i in range(members))
    return head + body + b"}}"


def most_servers_legacy(variant: int) -> bytes:
    """As many minimal legacy entries as the server limit allows (each converts to ~3 KB)."""
    count = CAP // BYTES_PER_SERVER
    entries = {f"s{i}-{variant}": {"image": "i", "description": "d"} for i in range(count)}
    return compact({"servers": entries})


def giant_string(variant: int) -> bytes:
    """One valid server whose description fills the cap, with one emoji: Python keeps the
    text at 4 bytes a character, twice (decoded document, value) plus its search text."""
    description = "a" * (UNDER_CAP - 200) + f"\N{GRINNING FACE}{variant}"
    return compact({"data": {"servers": [one_server(variant, description=description)]}})


# -- running -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Step:
    label: str
    document: Callable[[], bytes]


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    steps: list[Step]
    args: tuple[str, ...] = ()
    cap: int = CAP
    """The byte cap `args` set (the default unless they raise it)."""
    api: bool = False
    """Serve each document as MCP Registry API pages (an `api` source) instead of a file."""


@dataclass(frozen=True, slots=True)
class Result:
    scenario: str
    step: str
    size: int
    growth: int
    outcome: str
    seconds: float
    cap: int


class FileDocument:
    """The source is a file; `put` writes the document there."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "registry.json"

    def source(self) -> str:
        return f"file: {{path: {self.path}}}"

    def put(self, data: bytes) -> int:
        self.path.write_bytes(data)
        return len(data)


class ApiPages:
    """The source is an MCP Registry API on loopback; `put` splits an upstream document into
    pages of 100 servers (404 until the first `put`, as a registry not there yet)."""

    def __init__(self) -> None:
        self.pages: list[bytes] = []
        self.url = ""
        self._served: Served | None = None

    def source(self) -> str:
        return f"api: {{endpoint: '{self.url}'}}"

    def put(self, data: bytes) -> int:
        doc = json.loads(data)
        servers = doc.pop("data")["servers"]
        extra = {k: v for k, v in doc.items() if k not in ("$schema", "version", "meta")}
        self.pages = []
        for start in range(0, len(servers), 100):
            page: dict[str, Any] = {
                "servers": [{"server": s} for s in servers[start : start + 100]]
            }
            if start + 100 < len(servers):
                page["metadata"] = {"nextCursor": str(len(self.pages) + 1)}
            self.pages.append(compact((extra if start == 0 else {}) | page))
        return sum(len(page) for page in self.pages)

    async def __aenter__(self) -> ApiPages:
        app = web.Application()
        app.router.add_get("/v0.1/servers", self._list)
        self._served = await serve(app)
        self.url = self._served.url
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._served is not None:
            await self._served.runner.cleanup()

    async def _list(self, request: web.Request) -> web.Response:
        number = int(request.query.get("cursor", "0"))
        if number >= len(self.pages):
            raise web.HTTPNotFound()
        return web.Response(body=self.pages[number], content_type="application/json")


def write_config(directory: Path, source: str) -> Path:
    config = directory / "config.yaml"
    config.write_text(
        "sources:\n"
        f"  - name: bench\n    {source}\n    syncPolicy: {{interval: 1h}}\n"
        "registries:\n  - name: default\n    sources: [bench]\n"
        "auth: {mode: anonymous}\n"
        "sync: {allowPrivateIP: true}\n"  # the upstream listens on loopback
    )
    return config


async def run_scenario(scenario: Scenario) -> list[Result]:
    """One server process; each step's document synced by hand, its peak RSS over base."""
    name = scenario.name
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="document-memory-") as tmp:
        async with contextlib.AsyncExitStack() as stack:
            where: FileDocument | ApiPages = (
                await stack.enter_async_context(ApiPages())
                if scenario.api
                else FileDocument(Path(tmp))
            )
            config = write_config(Path(tmp), where.source())
            server = await stack.enter_async_context(
                ServerProcess.running(config, args=scenario.args)
            )

            async def first_attempt_failed() -> bool:  # the document is not there yet
                status = await server.status("bench")
                return bool(status["attemptCount"]) and status["phase"] == "Failed"

            await wait_for(first_attempt_failed, timeout=60)
            base = server.memory().rss
            for step in scenario.steps:
                size = where.put(step.document())
                server.reset_peak()
                started = time.monotonic()
                status = await server.sync("bench")
                seconds = time.monotonic() - started
                peak = server.memory().peak
                assert server.alive, server.tail()
                assert await server.healthy(), server.tail()
                outcome = (
                    f"{status['serverCount']} servers"
                    if status["phase"] == "Complete"
                    else status["message"]
                )
                growth = peak - base
                results.append(
                    Result(name, step.label, size, growth, outcome, seconds, scenario.cap)
                )
                print(
                    f"  {name:<24} {step.label:<28} {size / MIB:6.1f} MiB  "
                    f"+{growth / MIB:5.0f} MiB  k={growth / scenario.cap:5.1f}  "
                    f"{seconds:5.1f}s  {shorten(outcome)}",
                    flush=True,
                )
    return results


def shorten(text: str, width: int = 110) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def scenarios(at_100: bool) -> list[Scenario]:
    upstream, legacy = realistic_upstream(UNDER_CAP), realistic_legacy(UNDER_CAP)
    paged = realistic_upstream(UNDER_CAP - 256 * 1024)  # each page wraps its servers
    big = realistic_upstream(100 * MIB)
    out = [
        Scenario(
            "hostile, refused",
            [
                Step("18 MB reproduction", lambda: empty_servers_upstream(REPRODUCTION_COUNT)),
                Step("{} under the cap (upstream)", lambda: empty_servers_upstream(UNDER_CAP // 3)),
                Step("{} under the cap (legacy)", lambda: empty_servers_legacy(UNDER_CAP // 14)),
            ],
        ),
        Scenario(
            "realistic upstream",
            [
                Step("sync at the cap", lambda: upstream(0)),
                Step("re-sync, changed", lambda: upstream(1)),
                Step("then densest values", lambda: densest_allowed(2)),
                Step("sync at the cap again", lambda: upstream(3)),
                Step("then one giant string", lambda: giant_string(4)),
            ],
        ),
        Scenario(
            "realistic legacy",
            [
                Step("sync at the cap", lambda: legacy(0)),
                Step("re-sync, changed", lambda: legacy(1)),
                Step("then most servers", lambda: most_servers_legacy(2)),
                Step("re-sync, most servers", lambda: most_servers_legacy(3)),
            ],
        ),
        Scenario(
            "realistic upstream, API",
            [
                Step("sync at the cap", lambda: paged(0)),
                Step("re-sync, changed", lambda: paged(1)),
                Step("then densest values", lambda: densest_allowed(2)),
            ],
            api=True,
        ),
        Scenario("realistic 100 MiB", [Step("refused by the cap", lambda: big(0))]),
    ]
    if at_100:
        steps = [Step("sync, cap raised", lambda: big(0)), Step("re-sync", lambda: big(1))]
        raised = ("--max-document-bytes", "128Mi", "--max-servers", "1000000")
        out.append(Scenario("realistic 100 MiB, 128Mi", steps, raised, cap=128 * MIB))
    return out


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--at-100",
        action="store_true",
        help="also sync the 100 MiB catalog with the cap raised (~1.4 GiB, ~60 s more)",
    )
    args = parser.parse_args()
    print(
        f"cap {CAP / MIB:g} MiB, one JSON value per {BYTES_PER_VALUE} bytes, one server per "
        f"{BYTES_PER_SERVER} bytes; rule: peak <= base + {RSS_PER_CAP_BYTE} x cap",
        flush=True,
    )
    started = time.monotonic()
    results: list[Result] = []
    for scenario in scenarios(args.at_100):
        results.extend(await run_scenario(scenario))
    capped = [r for r in results if r.cap == CAP]
    worst = max(capped, key=lambda r: r.growth)
    first = max((r for r in capped if r.step == "sync at the cap"), key=lambda r: r.growth)
    resync = max((r for r in capped if r.step == "re-sync, changed"), key=lambda r: r.growth)
    reproduction, big = results[0], next(r for r in results if r.scenario == "realistic 100 MiB")
    ok = worst.growth <= RSS_PER_CAP_BYTE * CAP
    verdict = "within" if ok else "OVER"
    print(
        f"peak RSS over base: 18 MB reproduction +{reproduction.growth / MIB:.0f} MiB "
        f"(refused); realistic {first.size / MIB:.1f} MiB catalog +{first.growth / MIB:.0f} MiB "
        f"(k={first.growth / CAP:.1f}), re-sync +{resync.growth / MIB:.0f} MiB "
        f"(k={resync.growth / CAP:.1f}); 100 MiB catalog +{big.growth / MIB:.0f} MiB (refused); "
        f"worst +{worst.growth / MIB:.0f} MiB (k={worst.growth / CAP:.1f}, {worst.scenario}: "
        f"{worst.step}), {verdict} the rule's k={RSS_PER_CAP_BYTE}: {BASE_RSS / MIB:.0f} + "
        f"{RSS_PER_CAP_BYTE} x {CAP / MIB:g} = {peak_rss_bound(CAP) / MIB:.0f} MiB of the pod's "
        f"{DEFAULT_MEMORY_LIMIT / MIB:.0f} MiB ({time.monotonic() - started:.0f}s)"
    )
    summary = {
        "bench": "document_memory",
        "cap_mib": round(CAP / MIB, 1),
        "growth_mib": {f"{r.scenario}: {r.step}": round(r.growth / MIB, 1) for r in results},
        "realistic_k": round(first.growth / CAP, 2),
        "resync_k": round(resync.growth / CAP, 2),
        "worst_k": round(worst.growth / CAP, 2),
        "worst": f"{worst.scenario}: {worst.step}",
        "peak_bound_mib": round(peak_rss_bound(CAP) / MIB),
        "targets": {"worst_k": f"<= {RSS_PER_CAP_BYTE}"},
        "ok": ok,
    }
    print("summary " + json.dumps(summary, sort_keys=True))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
