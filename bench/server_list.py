"""The server's list and get endpoints against a bare aiohttp handler serving the same bytes.

Starts the real server (`mcp-registry-server serve`, a file source of N generated servers) and a
bare aiohttp app that replays the responses the server sent (body and headers; aiohttp writes
Date, Server and Content-Length for both): the first list page, and every version the get
workload reads, in turn, so both write the same bytes in the same proportions. Each runs in its
own process; this process drives both over loopback with a minimal keep-alive HTTP/1.1 client
(so the client is not the bottleneck): `GET /v0.1/servers?limit=100` walking cursors, and
`GET /v0.1/servers/{name}/versions/latest`. The server logs at info to a file, as a container
runtime keeps its stdout, with its default request log limit (`--request-log-limit 0` here
gives it a line for every request) and the bench checks that every request was either logged or
counted. Prints requests/second, the ratios (each the median of the rounds' ratios, a round
being one server run then one bare run; targets: list >= 0.6, get >= 0.9), the server's
RSS with everything loaded and after the run (target <= 120 MB after the run at 10,000
servers; with more servers the target grows linearly), then the sync and snapshot build times
from the server's log (medians of the first sync and `--resyncs` more full syncs, made after
the reads) and the RSS after them (the same target: each sync's new snapshot retires the kept
responses of the one it replaces, and its document's memory goes back), what one
server costs in each structure (measured in this process with tracemalloc), and a last
`summary {json}` line with every figure and target.
`--scale K` runs N servers, then K x N, and prints how each figure grew (targets: memory,
sync and snapshot build at most K times, list/get ratios within 10%). Both servers stay up
and their timed syncs alternate, N then K x N, so each pair's ratio compares syncs made one
after the other on the same machine load; the growth of sync and build is the median of the
pairs' ratios. A reference with no target follows: how `json.loads` of the same two documents
grows in this process (the sync decodes its document that way, so no sync can grow less).
Usage: hatch run python bench/server_list.py [--servers N] [--requests R] [--connections C]
       [--scale K]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

TARGETS = {"list": 0.6, "get": 0.9}
RSS_TARGET_MB = 120
"""At 10,000 servers; the target grows linearly with the servers beyond that."""
RSS_TARGET_SERVERS = 10_000
RATIO_DRIFT = 0.10
"""--scale: list/get ratios may move at most this much from the smaller run's."""
SYNCED = re.compile(rb'"duration":([0-9.]+)[^\n]*"event":"sync_completed"')
BUILT = re.compile(rb'"servers":[1-9][^\n]*"duration_ms":([0-9.]+)[^\n]*"event":"snapshot_built"')
LISTENING = re.compile(rb"listening on (http://\S+) \(API\) and (http://\S+) \(internal\)")
BARE_READY = b"bare server on "


def generate_registry(count: int) -> dict[str, Any]:
    """`count` realistic server.json entries made from the bundled sample's nine shapes."""
    sample_file = resources.files("mcp_registry_server") / "data" / "sample-registry.json"
    templates = json.loads(sample_file.read_text())["data"]["servers"]
    servers = []
    for i in range(count):
        entry = json.loads(json.dumps(templates[i % len(templates)]))
        entry["name"] = f"com.bench-{i % 40}/server-{i:05d}"
        entry["description"] = f"Benchmark server {i}: {entry['description']}"
        entry["version"] = f"1.{i % 7}.{i % 11}"
        servers.append(entry)
    return {
        "version": "1.0.0",
        "meta": {"last_updated": "2026-02-18T00:00:00Z"},
        "data": {"servers": servers},
    }


def structure_costs(registry: dict[str, Any]) -> dict[str, float]:
    """Bytes per server of each structure the server keeps, built here as the server builds
    them: the parsed model (what a sync holds until stored), the stored (packed) servers,
    the snapshot (rendered entries with their lookup keys and search text), and the kept
    responses after every list page and every get was read once."""
    import gc
    import tracemalloc
    from datetime import UTC, datetime

    from mcp_registry_common.formats import DocumentLimits, parse_registry
    from mcp_registry_server.api.responses import ResponseCache, list_body
    from mcp_registry_server.snapshot import ListQuery, build_snapshot
    from mcp_registry_server.store.base import SourceData
    from mcp_registry_server.store.packed import packed

    data = json.dumps(registry).encode()
    count = len(registry["data"]["servers"])
    gc.collect()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        servers = parse_registry(data, limits=DocumentLimits.for_bytes(2 * len(data))).servers
        del data
        parsed = tracemalloc.get_traced_memory()[0]
        stored = packed(SourceData("bench", servers, "hash", datetime.now(UTC)))
        del servers
        gc.collect()
        after_store = tracemalloc.get_traced_memory()[0]
        snapshot = build_snapshot(registry="default", sources=[stored], built_at=0.0)
        gc.collect()
        after_snapshot = tracemalloc.get_traced_memory()[0]
        cache = ResponseCache()
        after = None
        while True:  # every list page, as the bench walks them
            page = snapshot.page(ListQuery(limit=100, after=after))
            key = (snapshot.etag, f"/v0.1/servers?limit=100&after={after}")
            cache.get(key, route="list", render=lambda p=page: list_body(p.entries))
            if page.next_after is None:
                break
            after = page.next_after
        for entry in snapshot.entries:  # every get: the entry's own bytes
            url = f"/v0.1/servers/{quote(entry.name, safe='')}/versions/latest"
            cache.get((snapshot.etag, url), route="get", render=lambda e=entry: e.body)
        after_cache = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del stored, snapshot, cache
    return {
        "parsed_model": (parsed - start) / count,
        "stored_packed": (after_store - start) / count,
        "snapshot": (after_snapshot - after_store) / count,
        "kept_responses": (after_cache - after_snapshot) / count,
    }


MADE_BY_AIOHTTP = frozenset({"content-length", "date", "server", "connection"})
"""Response headers aiohttp writes itself (the bare handler's responses get them the same way)."""

Recorded = tuple[list[tuple[str, str]], bytes]


def recorded_response(raw: bytes) -> Recorded:
    """The headers (those aiohttp does not write itself) and body of a recorded response."""
    head, _, body = raw.partition(b"\r\n\r\n")
    headers = []
    for line in head.decode("latin-1").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.lower() not in MADE_BY_AIOHTTP:
            headers.append((name, value.strip()))
    return headers, body


def write_recorded(file: Path, raws: list[bytes]) -> None:
    """Raw responses (head and body), each after its length."""
    file.write_bytes(b"".join(len(raw).to_bytes(8, "big") + raw for raw in raws))


def read_recorded(file: Path) -> list[Recorded]:
    """The responses `write_recorded` wrote."""
    data, responses, at = file.read_bytes(), [], 0
    while at < len(data):
        size = int.from_bytes(data[at : at + 8], "big")
        responses.append(recorded_response(data[at + 8 : at + 8 + size]))
        at += 8 + size
    return responses


def bare_server(list_file: str, get_file: str) -> None:
    """The baseline: an aiohttp app with no middleware whose handlers return, in turn, the
    responses the server sent (headers included: ETag, Vary, security headers and request id),
    so it writes the same bytes in the same proportions as the server: each get path the
    workload reads, and a list page."""
    from aiohttp import web

    def replay(file: str) -> Callable[[web.Request], Awaitable[web.Response]]:
        responses = itertools.cycle(read_recorded(Path(file)))

        async def handler(request: web.Request) -> web.Response:
            headers, body = next(responses)
            return web.Response(body=body, headers=headers)

        return handler

    async def main() -> None:
        app = web.Application()
        app.add_routes([web.get("/list", replay(list_file)), web.get("/get", replay(get_file))])
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        sys.stdout.write(f"{BARE_READY.decode()}http://127.0.0.1:{port}\n")
        sys.stdout.flush()
        await asyncio.Event().wait()

    asyncio.run(main())


class Connection:
    """One keep-alive HTTP/1.1 connection: GET a path, get (status, body)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, base: str) -> Connection:
        host, port = base.removeprefix("http://").rsplit(":", 1)
        reader, writer = await asyncio.open_connection(host, int(port))
        return cls(reader, writer)

    async def get(self, path: str) -> tuple[int, bytes]:
        status, _, body = await self.exchange(path)
        return status, body

    async def exchange(self, path: str, method: str = "GET") -> tuple[int, bytes, bytes]:
        """`method` `path` (no body): (status, head, body)."""
        request = f"{method} {path} HTTP/1.1\r\nHost: bench\r\nContent-Length: 0\r\n\r\n"
        self.writer.write(request.encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
        return status, head, await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


def next_cursor(body: bytes) -> str | None:
    """The page's nextCursor, read from the metadata at the end of the body."""
    metadata = json.loads(body[body.rindex(b'"metadata":') + 11 : -1])
    cursor: str | None = metadata.get("nextCursor")
    return cursor


Worker = Callable[[Connection, int], Awaitable[None]]


@dataclass(frozen=True)
class Run:
    rps: float
    cpu_us: float
    """Server CPU time per request (user + system), robust to other load on the machine."""


async def drive(base: str, pid: int, *, requests: int, connections: int, worker: Worker) -> Run:
    """Throughput of `requests` requests spread over `connections` connections."""
    conns = [await Connection.open(base) for _ in range(connections)]
    share = requests // connections
    cpu = cpu_seconds(pid)
    started = time.perf_counter()
    await asyncio.gather(*(worker(conn, share) for conn in conns))
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds(pid) - cpu
    for conn in conns:
        conn.close()
    done = share * connections
    return Run(rps=done / elapsed, cpu_us=cpu / done * 1e6)


def list_walker(first_path: str, cursor_path: str) -> Worker:
    async def walk(conn: Connection, count: int) -> None:
        cursor: str | None = None
        for _ in range(count):
            path = first_path if cursor is None else cursor_path.format(quote(cursor))
            status, body = await conn.get(path)
            assert status == 200, (status, body[:200])
            cursor = next_cursor(body)

    return walk


def getter(paths: list[str]) -> Worker:
    async def get(conn: Connection, count: int) -> None:
        for i in range(count):
            status, body = await conn.get(paths[i % len(paths)])
            assert status == 200, (status, body[:200])

    return get


async def start(log: Path, *args: str) -> asyncio.subprocess.Process:
    """A Python process whose stdout goes to the file `log`, as a container runtime keeps it
    (drained through a pipe, it would cost the client process reading it)."""
    with log.open("wb") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable, *args, stdout=out, stderr=asyncio.subprocess.DEVNULL
        )


async def wait_line(
    process: asyncio.subprocess.Process, log: Path, pattern: re.Pattern[bytes]
) -> re.Match[bytes]:
    """The first match of `pattern` in the process's log, polled until it appears."""
    async with asyncio.timeout(120):
        while True:
            if match := pattern.search(await asyncio.to_thread(log.read_bytes)):
                return match
            if process.returncode is not None:
                raise RuntimeError("process exited before it was ready")
            await asyncio.sleep(0.05)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def idle(pid: int, *, window: float = 0.2, busy: float = 0.1) -> None:
    """Wait until the process uses less than `busy` of a core over `window` seconds."""
    async with asyncio.timeout(60):
        before = cpu_seconds(pid)
        while True:
            await asyncio.sleep(window)
            now = cpu_seconds(pid)
            if now - before < busy * window:
                return
            before = now


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    kb = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
    return kb / 1024


async def request_log(log: Path, requests: int) -> tuple[int, int]:
    """(API request lines, requests counted as not logged) in the server's log, once they add
    up to `requests` or 5 s have passed (the last second's count is logged when it ends)."""
    logged = left_out = 0
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(5):
            while True:
                logged = left_out = 0
                for line in (await asyncio.to_thread(log.read_bytes)).splitlines():
                    if b'"http_request"' in line and b'"route":"/v0' in line:
                        logged += 1
                    elif b'"http_requests_not_logged"' in line:
                        left_out += json.loads(line)["count"]
                if logged + left_out >= requests:
                    break
                await asyncio.sleep(0.1)
    return logged, left_out


async def logged_times(log: Path) -> tuple[list[float], list[float]]:
    """Every sync's time (s) and snapshot build time (ms) the server has logged so far."""
    text = await asyncio.to_thread(log.read_bytes)
    return [float(t) for t in SYNCED.findall(text)], [float(t) for t in BUILT.findall(text)]


async def full_sync(
    index: int, internal: str, data: Path, registry: dict[str, Any], log: Path
) -> tuple[float, float]:
    """One full sync's time (s) and snapshot build time (ms): it changes the file (its
    `last_updated`, the `index`th change), asks for a manual sync on the internal port and
    waits for its lines."""
    synced, built = await logged_times(log)
    registry["meta"]["last_updated"] = f"2026-02-18T00:{index // 60:02d}:{index % 60 + 1:02d}Z"
    await asyncio.to_thread(data.write_text, json.dumps(registry))
    conn = await Connection.open(internal)
    status, _, body = await conn.exchange("/sources/bench/sync", method="POST")
    conn.close()
    assert status < 300, (status, body[:200])
    async with asyncio.timeout(300):
        while True:
            now_synced, now_built = await logged_times(log)
            if len(now_synced) > len(synced) and len(now_built) > len(built):
                return now_synced[len(synced)], now_built[len(built)]
            await asyncio.sleep(0.1)


async def wait_ready(internal: str, expected: int) -> None:
    async with asyncio.timeout(300):
        while True:
            conn = await Connection.open(internal)
            status, body = await conn.get("/status")
            conn.close()
            if status == 200 and json.loads(body)["registries"][0]["serverCount"] == expected:
                return
            await asyncio.sleep(0.2)


class ServerRun:
    """One server with N generated servers and its bare baseline, measured in phases: the
    reads (`reads`), then full syncs (`resync`), then the figures (`finish`)."""

    def __init__(self, args: argparse.Namespace, servers: int) -> None:
        self.args, self.servers = args, servers
        self.workdir = Path(tempfile.mkdtemp(prefix="bench-server-list-"))
        self.log = self.workdir / "server.log"
        self.data = self.workdir / "registry.json"
        self.registry = generate_registry(servers)
        self.processes: list[asyncio.subprocess.Process] = []
        self.figures: dict[str, Any] = {"servers": servers}
        self.ok = True
        self.rss_target = RSS_TARGET_MB * max(1.0, servers / RSS_TARGET_SERVERS)
        self.resyncs: list[tuple[float, float]] = []
        """(sync s, build ms) of each `resync`."""

    async def __aenter__(self) -> ServerRun:
        try:
            await self._start()
        except BaseException:
            await self._stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stop()

    async def _stop(self) -> None:
        for process in self.processes:
            if process.returncode is None:
                process.terminate()
                await process.wait()

    async def _start(self) -> None:
        """The server, its data synced and its snapshot built."""
        self.data.write_text(json.dumps(self.registry))
        (self.workdir / "config.yaml").write_text(
            "sources:\n  - name: bench\n    file: {path: " + str(self.data) + "}\n"
            "    syncPolicy: {interval: 1h}\n"
            "registries:\n  - name: default\n    sources: [bench]\n"
            "auth:\n  mode: anonymous\n"
        )
        args = self.args
        listen = ("--address", "127.0.0.1:0", "--internal-address", "127.0.0.1:0")
        # the generated file outgrows the default 10 MiB document cap from ~9,000 servers
        cap = ("--max-document-bytes", str(max(2 * self.data.stat().st_size, 10 * 1024 * 1024)))
        limit = (
            ()
            if args.request_log_limit is None
            else ("--request-log-limit", args.request_log_limit)
        )
        self.server = await start(
            self.log,
            *(
                "-m",
                "mcp_registry_server.cli",
                "serve",
                "--config",
                str(self.workdir / "config.yaml"),
            ),
            *(*listen, *cap, "--log-level", args.log_level, *limit),
        )
        self.processes.append(self.server)
        listening = await wait_line(self.server, self.log, LISTENING)
        self.api, self.internal = (url.decode() for url in listening.groups())
        await wait_ready(self.internal, self.servers)
        # info lines reach the log up to 0.1 s late: wait for them
        await wait_line(self.server, self.log, SYNCED)
        await wait_line(self.server, self.log, BUILT)
        # the sync's line comes after the heap it freed went back to the system; the snapshot
        # serves before that (at 100,000 servers, readiness came with 1.1 GB still mapped)
        self.loaded_rss = rss_mb(self.server.pid)

    async def reads(self) -> None:
        """The list and get workloads against the server and the bare baseline, the request
        log's count and the server's RSS after them."""
        args, servers, workdir = self.args, self.servers, self.workdir
        names = [f"com.bench-{i % 40}%2Fserver-{i:05d}" for i in range(servers)]
        random.Random(7).shuffle(names)
        get_paths = [f"/v0.1/servers/{name}/versions/latest" for name in names]
        # the paths the get workload reads: each connection reads the first `share` of them
        read = get_paths[: min(servers, args.requests // args.connections)]
        probe = await Connection.open(self.api)
        _, list_head, list_page = await probe.exchange("/v0.1/servers?limit=100")
        gets = []
        for path in read:
            _, get_head, one = await probe.exchange(path)
            gets.append(get_head + one)
        probe.close()
        write_recorded(workdir / "list.bin", [list_head + list_page])
        write_recorded(workdir / "get.bin", gets)
        bare = await start(
            workdir / "bare.log",
            *(__file__, "--bare", str(workdir / "list.bin"), str(workdir / "get.bin")),
        )
        self.processes.append(bare)
        ready = await wait_line(bare, workdir / "bare.log", re.compile(rb"bare server on (\S+)"))
        bare_url = ready.group(1).decode()
        workloads = {
            "list": (
                list_walker("/v0.1/servers?limit=100", "/v0.1/servers?limit=100&cursor={}"),
                list_walker("/list", "/list?cursor={}"),
                args.requests // 5,
            ),
            "get": (getter(get_paths), getter(["/get"]), args.requests),
        }
        print(
            f"servers={servers} connections={args.connections} rounds={args.rounds} "
            f"log_level={args.log_level}"
        )
        get_sizes = [len(recorded_response(raw)[1]) for raw in gets]
        print(
            f"list page {len(list_page)} bytes, get {statistics.mean(get_sizes):.0f} bytes "
            f"(mean of the {len(gets)} read; the bare server replays them in turn)"
        )
        api_requests = 1 + len(read)  # the probe's: the list page, then each path read
        targets = {"server": (self.api, self.server.pid), "bare": (bare_url, bare.pid)}
        for name, (ours, baseline, count) in workloads.items():
            workers = {"server": ours, "bare": baseline}
            runs: dict[str, list[Run]] = {"server": [], "bare": []}
            # round 0 warms up (every URL read once, so kept); then the two alternate, and each
            # round's ratio compares two runs made one after the other, on the same machine load
            for round_ in range(args.rounds + 1):
                for who, (url, pid) in targets.items():
                    run_ = await drive(
                        url, pid, requests=count, connections=args.connections, worker=workers[who]
                    )
                    if round_:
                        runs[who].append(run_)
                    if who == "server":
                        api_requests += count // args.connections * args.connections
            ours_rps, bare_rps = (statistics.median(r.rps for r in runs[w]) for w in targets)
            ours_cpu, bare_cpu = (statistics.median(r.cpu_us for r in runs[w]) for w in targets)
            paired = zip(runs["server"], runs["bare"], strict=True)
            ratio, cpu_ratio = (
                statistics.median(values)
                for values in zip(
                    *((o.rps / b.rps, b.cpu_us / o.cpu_us) for o, b in paired), strict=True
                )
            )
            self.ok &= ratio >= TARGETS[name]
            self.figures[f"{name}_ratio"] = round(ratio, 3)
            self.figures[f"{name}_cpu_ratio"] = round(cpu_ratio, 3)
            print(
                f"{name:5s} server {ours_rps:8.0f} req/s  bare {bare_rps:8.0f} req/s  "
                f"ratio {ratio:.2f} (target >= {TARGETS[name]})   "
                f"server CPU/request {ours_cpu:6.1f} us, bare {bare_cpu:6.1f} us, "
                f"CPU ratio {cpu_ratio:.2f}"
            )
        bare.terminate()
        await bare.wait()
        final_rss = rss_mb(self.server.pid)
        if args.log_level == "info":
            logged, left_out = await request_log(self.log, api_requests)
            print(
                f"request log ({args.request_log_limit or 'default'} limit): {logged} lines for "
                f"{api_requests} API requests, {left_out} counted in http_requests_not_logged"
            )
            self.ok &= logged + left_out == api_requests
        self.ok &= max(self.loaded_rss, final_rss) <= self.rss_target
        print(
            f"server RSS: {self.loaded_rss:.1f} MB loaded, {final_rss:.1f} MB after the run "
            f"(target <= {self.rss_target:.0f} MB)"
        )
        self.figures |= {
            "rss_loaded_mb": round(self.loaded_rss, 1),
            "rss_after_mb": round(final_rss, 1),
        }

    async def resync(self) -> tuple[float, float]:
        """One more full sync: its time (s) and snapshot build time (ms), once the server is
        idle again (after its lines it still gives the freed heap back to the system, which
        would overlap the next sync of another server)."""
        times = await full_sync(
            len(self.resyncs), self.internal, self.data, self.registry, self.log
        )
        await idle(self.server.pid)
        self.resyncs.append(times)
        return times

    async def finish(self) -> dict[str, Any]:
        """The sync figures (the first sync's and those of every `resync`), the RSS after
        them, what one server costs in each structure, and every figure with its target."""
        syncs, builds = await logged_times(self.log)
        sync_s, build_ms = statistics.median(syncs), statistics.median(builds)
        resynced_rss = rss_mb(self.server.pid)
        self.ok &= resynced_rss <= self.rss_target
        print(
            f"servers={self.servers}: full sync {sync_s * 1e3:.0f} ms, snapshot build "
            f"{build_ms:.0f} ms (server log; medians of {len(syncs)}: "
            + ", ".join(f"{t * 1e3:.0f}" for t in syncs)
            + f" ms); RSS after them {resynced_rss:.1f} MB (target <= {self.rss_target:.0f} MB)"
        )
        figures = self.figures
        figures |= {"sync_ms": sync_s * 1e3, "snapshot_build_ms": build_ms}
        figures["rss_after_resyncs_mb"] = round(resynced_rss, 1)
        costs = structure_costs(self.registry)
        print(
            "bytes per server: "
            + ", ".join(f"{label.replace('_', ' ')} {size:,.0f}" for label, size in costs.items())
        )
        figures |= {f"bytes_per_server_{k}": round(v) for k, v in costs.items()}
        figures["targets"] = {
            "list_ratio": f">= {TARGETS['list']}",
            "get_ratio": f">= {TARGETS['get']}",
            "rss_after_mb": f"<= {self.rss_target:.0f}",
            "rss_after_resyncs_mb": f"<= {self.rss_target:.0f}",
        }
        figures["ok"] = bool(self.ok)
        return figures


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """The bench: one size, or with `--scale` two, whose timed syncs alternate (a pair's
    ratio compares two syncs made one after the other, on the same machine load)."""
    async with contextlib.AsyncExitStack() as stack:
        small = await stack.enter_async_context(ServerRun(args, args.servers))
        await small.reads()
        if not args.scale:
            for _ in range(args.resyncs):
                await small.resync()
            return {"bench": "server_list", **await small.finish()}
        large = await stack.enter_async_context(ServerRun(args, args.servers * args.scale))
        await large.reads()
        for _ in range(args.resyncs):
            await small.resync()
            await large.resync()
        base, scaled = await small.finish(), await large.finish()
        pairs = list(zip(small.resyncs, large.resyncs, strict=True))
        summary = {"bench": "server_list", "base": base, "scaled": scaled}
        summary["growth"] = growth(base, scaled, pairs, args.scale)
        summary["growth"]["json_loads_reference"] = decode_growth(
            small.data, large.data, rounds=args.resyncs
        )
        summary["ok"] = base["ok"] and scaled["ok"] and summary["growth"]["ok"]
        return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=20_000, help="get requests (list: 1/5)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=9, help="measured rounds (medians are shown)")
    parser.add_argument("--log-level", default="info", help="the server's log level")
    parser.add_argument(
        "--request-log-limit", help="the server's --request-log-limit (default: its default)"
    )
    parser.add_argument(
        "--bare", nargs=2, metavar=("LIST_FILE", "GET_FILE"), help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--resyncs", type=int, default=6, help="full syncs after the first (with --scale: pairs)"
    )
    parser.add_argument(
        "--scale", type=int, default=0, help="also run K x --servers and compare (e.g. 10)"
    )
    args = parser.parse_args()
    if args.bare:
        bare_server(*args.bare)
        return 0
    summary = asyncio.run(run(args))
    print("summary " + json.dumps(summary, sort_keys=True))
    return 0 if summary["ok"] else 1


def decode_growth(small: Path, large: Path, *, rounds: int) -> float:
    """How `json.loads` of the large document grows over the small one's in this process
    (the median of `rounds` pairs, each the small then the large): what reading a document
    costs at the two sizes on this machine, a reference for the sync's growth (which decodes
    the document the same way). Printed, not a target."""
    import gc

    from mcp_registry_common.gcpause import gc_paused

    texts = [small.read_bytes(), large.read_bytes()]
    ratios = []
    for _ in range(rounds):
        times = []
        for text in texts:
            with gc_paused():  # as the sync's parse runs
                started = time.perf_counter()
                json.loads(text)
                times.append(time.perf_counter() - started)
            gc.collect()
        ratios.append(times[1] / times[0])
    ratio = round(statistics.median(ratios), 2)
    print(
        f"reference: json.loads of the same two documents, in this process: {ratio}x "
        "(median of " + ", ".join(f"{r:.2f}" for r in ratios) + ")"
    )
    return ratio


def growth(
    small: dict[str, Any],
    large: dict[str, Any],
    pairs: list[tuple[tuple[float, float], tuple[float, float]]],
    factor: int,
) -> dict[str, Any]:
    """How each figure grew from `small` to `large` (`factor` times the servers), against the
    targets: memory, sync and build at most `factor` times (sync and build: the median of the
    paired syncs' ratios); ratios within `RATIO_DRIFT`."""
    out: dict[str, Any] = {"factor": factor}
    out["rss_after_mb"] = round(large["rss_after_mb"] / small["rss_after_mb"], 2)
    for index, key in enumerate(("sync_ms", "snapshot_build_ms")):
        ratios = [one[index] / other[index] for other, one in pairs]
        out[key] = round(statistics.median(ratios), 2)
        out[f"{key}_pairs"] = [round(ratio, 2) for ratio in ratios]
    ok = all(out[key] <= factor for key in ("rss_after_mb", "sync_ms", "snapshot_build_ms"))
    for key in ("list_ratio", "get_ratio"):
        out[key] = round(large[key] / small[key], 3)
        ok &= abs(out[key] - 1) <= RATIO_DRIFT
    out["targets"] = {"memory_sync_build": f"<= {factor}x", "ratios": f"within {RATIO_DRIFT:.0%}"}
    out["ok"] = bool(ok)
    print(
        f"growth x{factor}: RSS {out['rss_after_mb']}x, sync {out['sync_ms']}x, build "
        f"{out['snapshot_build_ms']}x (medians of the pairs: sync "
        + ", ".join(map(str, out["sync_ms_pairs"]))
        + "; build "
        + ", ".join(map(str, out["snapshot_build_ms_pairs"]))
        + f"; target <= {factor}x); list ratio {out['list_ratio']}x, "
        f"get ratio {out['get_ratio']}x (target within {RATIO_DRIFT:.0%})"
    )
    return out


if __name__ == "__main__":
    sys.exit(main())
