"""parse_registry on a 10,000-server registry against a bare json.loads of the same bytes.

Prints the time ratio for the upstream file (target: at most 3x) and for the same servers in
the legacy ToolHive format, which also runs the converter (target: at most 2x), then a
`summary {json}` line with both ratios and their targets. For information each line also
gives the ratio to a json.loads with the cyclic collector paused, as parse_registry decodes
and converts: what parsing adds to decoding alone.
Usage: hatch run python bench/parse_registry.py [--servers N] [--repeat R]
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import time
from collections.abc import Callable
from typing import Any

from mcp_registry_common.formats import DocumentLimits, legacy_to_upstream, parse_registry
from mcp_registry_common.gcpause import gc_paused

TARGET_RATIO = 3.0
LEGACY_TARGET_RATIO = 2.0


def legacy_entry(i: int) -> dict[str, Any]:
    """A realistic legacy container entry (shape of the real ToolHive catalog)."""
    return {
        "description": f"Example MCP server number {i} for the parse benchmark",
        "tier": "Official" if i % 3 == 0 else "Community",
        "status": "Deprecated" if i % 50 == 0 else "Active",
        "transport": ("stdio", "sse", "streamable-http")[i % 3],
        "tools": [f"tool_{i}_{t}" for t in range(8)],
        "metadata": {"stars": i * 7, "pulls": i * 13, "last_updated": "2026-02-05T04:47:22Z"},
        "repository_url": f"https://github.com/example-{i % 97}/server-{i}",
        "tags": ["bench", f"group-{i % 20}", "production" if i % 2 else "experimental"],
        "image": f"ghcr.io/example-{i % 97}/server-{i}:1.{i % 10}.0",
        "target_port": 8000 + i % 1000,
        "permissions": {
            "network": {"outbound": {"allow_host": [".example.com"], "allow_port": [443]}}
        },
        "env_vars": [
            {
                "name": "API_TOKEN",
                "description": "Token for the API",
                "required": True,
                "secret": True,
            },
            {"name": "REGION", "description": "Region to use", "required": False, "default": "eu"},
        ],
        "provenance": {
            "sigstore_url": "tuf-repo-cdn.sigstore.dev",
            "repository_uri": f"https://github.com/example-{i % 97}/server-{i}",
            "signer_identity": "/.github/workflows/release.yml",
            "runner_environment": "github-hosted",
            "cert_issuer": "https://token.actions.githubusercontent.com",
        },
    }


def legacy_registry(count: int) -> dict[str, Any]:
    return {
        "version": "1.0.0",
        "last_updated": "2026-02-18T00:24:11Z",
        "servers": {f"server-{i:05d}": legacy_entry(i) for i in range(count)},
    }


def timed(fn: Callable[[], object]) -> float:
    """Wall time of one run, starting from a collected heap."""
    gc.collect()
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    del result
    return elapsed


def paused_loads(data: bytes) -> Any:
    """`json.loads` as `parse_registry` decodes: with the cyclic collector paused (a decoded
    document holds no cycles); the ratio to it is what parsing adds to decoding."""
    with gc_paused():
        return json.loads(data)


def limits_for(data: bytes) -> DocumentLimits:
    """Limits that let `data` through (10,000 servers outgrow the default 10 MiB cap)."""
    return DocumentLimits.for_bytes(2 * len(data))


def measure(label: str, *, data: bytes, repeat: int) -> tuple[float, float]:
    """Best of `repeat` interleaved runs of each, so all see the same machine state: the
    ratio to a bare `json.loads` (the target's), and to one with the collector paused."""
    baseline, paused, parsed = math.inf, math.inf, math.inf
    limits = limits_for(data)
    for _ in range(repeat):
        baseline = min(baseline, timed(lambda: json.loads(data)))
        paused = min(paused, timed(lambda: paused_loads(data)))
        parsed = min(parsed, timed(lambda: parse_registry(data, limits=limits)))
    print(
        f"{label:<9} {len(data) / 1e6:6.1f} MB  json.loads {baseline * 1e3:7.1f} ms  "
        f"(collector paused {paused * 1e3:7.1f} ms)  parse_registry {parsed * 1e3:7.1f} ms  "
        f"ratio {parsed / baseline:.2f}x ({parsed / paused:.2f}x the paused one)"
    )
    return parsed / baseline, parsed / paused


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    legacy = legacy_registry(args.servers)
    upstream_bytes = json.dumps(legacy_to_upstream(legacy), indent=2).encode()
    legacy_bytes = json.dumps(legacy, indent=2).encode()
    parsed = parse_registry(upstream_bytes, limits=limits_for(upstream_bytes))
    assert len(parsed.servers) == args.servers
    ratio, upstream_paused = measure("upstream", data=upstream_bytes, repeat=args.repeat)
    legacy_ratio, legacy_paused = measure("legacy", data=legacy_bytes, repeat=args.repeat)
    ok = ratio <= TARGET_RATIO and legacy_ratio <= LEGACY_TARGET_RATIO
    verdict = "ok" if ok else "SLOWER THAN TARGET"
    print(
        f"upstream ratio {ratio:.2f}x (target <= {TARGET_RATIO:.0f}x), legacy ratio "
        f"{legacy_ratio:.2f}x (target <= {LEGACY_TARGET_RATIO:.0f}x): {verdict}"
    )
    summary = {
        "bench": "parse_registry",
        "servers": args.servers,
        "upstream_ratio": round(ratio, 3),
        "legacy_ratio": round(legacy_ratio, 3),
        "upstream_ratio_to_paused_loads": round(upstream_paused, 3),
        "legacy_ratio_to_paused_loads": round(legacy_paused, 3),
        "targets": {
            "upstream_ratio": f"<= {TARGET_RATIO}",
            "legacy_ratio": f"<= {LEGACY_TARGET_RATIO}",
        },
        "ok": ok,
    }
    print("summary " + json.dumps(summary, sort_keys=True))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
