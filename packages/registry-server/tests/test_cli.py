"""The mcp-registry-server command: addresses, version, validate, and `serve` as a real process."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from mcp_registry_server.cli import (
    Address,
    build_parser,
    listen_addresses,
    main,
    parse_address,
)
from mcp_registry_server.serving import try_these
from mcp_registry_testing.serverprocess import ServerProcess
from mcp_registry_testing.waiting import wait_for

GOOD_CONFIG = """\
sources:
  - name: local
    file: {path: registry.json}
    syncPolicy: {interval: 5m}
    surprise: 1
registries:
  - name: default
    sources: [local]
auth:
  mode: anonymous
"""


@pytest.mark.parametrize(
    ("text", "address"),
    [
        (":8080", Address(None, 8080)),
        ("0.0.0.0:80", Address("0.0.0.0", 80)),
        ("localhost:9090", Address("127.0.0.1", 9090)),
        ("[::1]:8081", Address("::1", 8081)),
        ("127.0.0.1:0", Address("127.0.0.1", 0)),
    ],
)
def test_parse_address(text: str, address: Address) -> None:
    assert parse_address(text) == address


@pytest.mark.parametrize("text", ["8080", "host:", "host:http", ":65536", ":-1"])
def test_parse_address_rejects(text: str) -> None:
    with pytest.raises(Exception, match="must be HOST:PORT"):
        parse_address(text)


def test_environment_supplies_defaults_and_flags_win() -> None:
    env = {"MCP_REGISTRY_ADDRESS": "127.0.0.1:1234", "THV_REGISTRY_LOG_LEVEL": "debug"}
    args = build_parser(env).parse_args(["serve", "--config", "c.yaml"])
    assert listen_addresses(args, env) == (Address("127.0.0.1", 1234), Address(None, 8081))
    assert args.log_level == "debug"
    argv = ["serve", "--config", "c.yaml", "--address", ":7000", "--log-level", "error"]
    args = build_parser(env).parse_args(argv)
    assert (listen_addresses(args, env)[0], args.log_level) == (Address(None, 7000), "error")


def test_the_embedded_default_listens_on_loopback_unless_told_otherwise() -> None:
    """Its admin API is anonymous and writable: a demo for this machine only."""
    args = build_parser({}).parse_args(["serve"])
    assert listen_addresses(args, {}) == (Address("127.0.0.1", 8080), Address("127.0.0.1", 8081))
    env = {"MCP_REGISTRY_ADDRESS": ":9000"}
    assert listen_addresses(args, env)[0] == Address(None, 9000)
    args = build_parser({}).parse_args(["serve", "--internal-address", ":9001"])
    assert listen_addresses(args, {})[1] == Address(None, 9001)


def test_the_listening_line_is_followed_by_urls_to_paste() -> None:
    text = try_these("http://0.0.0.0:8080", "http://127.0.0.1:8081", "default")
    assert text.splitlines() == [
        "  servers:   http://127.0.0.1:8080/registry/default/v0.1/servers",
        "  readiness: http://127.0.0.1:8081/readiness",
    ]
    assert build_parser({"LOG_LEVEL": "warn"}).parse_args(["serve"]).log_level == "warn"


def test_help_documents_the_environment(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    out = capsys.readouterr().out
    for name in (
        "MCP_REGISTRY_ADDRESS",
        "MCP_REGISTRY_INTERNAL_ADDRESS",
        "MCP_REGISTRY_LOG_LEVEL",
        "MCP_REGISTRY_REQUEST_LOG_LIMIT",
        "--request-log-limit",
        "MCP_REGISTRY_SYNC_CONCURRENCY",
        "--sync-concurrency",
    ):
        assert name in out


def test_request_log_limit_defaults_to_100_from_the_environment_or_the_flag(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert build_parser({}).parse_args(["serve"]).request_log_limit == 100
    env = {"MCP_REGISTRY_REQUEST_LOG_LIMIT": "0"}
    assert build_parser(env).parse_args(["serve"]).request_log_limit == 0
    args = build_parser(env).parse_args(["serve", "--request-log-limit", "25"])
    assert args.request_log_limit == 25
    with pytest.raises(SystemExit):
        build_parser({}).parse_args(["serve", "--request-log-limit", "-1"])
    assert "not a whole number of 0 or more" in capsys.readouterr().err


def test_sync_concurrency_defaults_to_4_from_the_environment_or_the_flag(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert build_parser({}).parse_args(["serve"]).sync_concurrency == 4
    env = {"MCP_REGISTRY_SYNC_CONCURRENCY": "16"}
    assert build_parser(env).parse_args(["serve"]).sync_concurrency == 16
    args = build_parser(env).parse_args(["serve", "--sync-concurrency", "2"])
    assert args.sync_concurrency == 2
    for bad in ("0", "-1", "many"):
        with pytest.raises(SystemExit):
            build_parser({}).parse_args(["serve", "--sync-concurrency", bad])
        assert "not a whole number of 1 or more" in capsys.readouterr().err


def test_document_limits_default_to_10_mib_from_the_environment_or_the_flags(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = build_parser({}).parse_args(["serve"])
    assert (args.max_document_bytes, args.max_servers) == (10 * 1024 * 1024, None)
    env = {"MCP_REGISTRY_MAX_DOCUMENT_BYTES": "64Mi", "MCP_REGISTRY_MAX_SERVERS": "5000"}
    args = build_parser(env).parse_args(["serve"])
    assert (args.max_document_bytes, args.max_servers) == (64 * 1024 * 1024, 5000)
    flags = ["serve", "--max-document-bytes", "20M", "--max-servers", "7"]
    args = build_parser(env).parse_args(flags)
    assert (args.max_document_bytes, args.max_servers) == (20_000_000, 7)
    plain = build_parser({}).parse_args(["serve", "--max-document-bytes", "1024"])
    assert plain.max_document_bytes == 1024
    for bad in ("0", "-1Mi", "1.5", "0.1Ki", "lots"):
        with pytest.raises(SystemExit):
            build_parser({}).parse_args(["serve", f"--max-document-bytes={bad}"])
        assert "is not a size in bytes of 1 or more" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        build_parser({}).parse_args(["serve", "--max-servers", "0"])
    assert "not a whole number of 1 or more" in capsys.readouterr().err


def test_version_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["version", "--format", "json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert set(info) == {"version", "commit", "build_date", "python_version", "platform"}
    assert main(["version"]) == 0
    assert capsys.readouterr().out.startswith(f"mcp-registry-server {info['version']} ")


def test_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(GOOD_CONFIG)
    assert main(["validate", "--config", str(good)]) == 0
    captured = capsys.readouterr()
    assert "valid (1 sources, 1 registries)" in captured.out
    assert "surprise" in captured.err  # unknown keys warn
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD_CONFIG.replace("sources: [local]", "sources: [missing]"))
    assert main(["validate", "--config", str(bad)]) == 1
    assert "references unknown source 'missing'" in capsys.readouterr().err


async def run_cli(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mcp_registry_server.cli",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_serve_exits_2_when_an_oauth_secret_file_cannot_be_read(tmp_path: Path) -> None:
    config = tmp_path / "oauth.yaml"
    missing = tmp_path / "no-such-secret"
    oauth = (
        "auth:\n  mode: oauth\n  oauth:\n    providers:\n"
        "      - {name: idp, issuerUrl: 'https://idp.example.com', audience: registry,\n"
        "         introspectionUrl: 'https://idp.example.com/introspect',\n"
        f"         clientId: registry, clientSecretFile: '{missing}'}}\n"
    )
    config.write_text(GOOD_CONFIG.split("auth:")[0] + oauth)
    process = await run_cli("serve", "--config", str(config), "--address", "127.0.0.1:0")
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 2
    assert b"clientSecretFile" in stderr
    assert b"cannot be read" in stderr


def test_plain_http_issuer_needs_the_insecure_switch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "oauth.yaml"
    oauth = (
        "auth:\n  mode: oauth\n  oauth:\n    providers:\n"
        "      - {name: idp, issuerUrl: 'http://idp.example.com', audience: registry}\n"
    )
    config.write_text(GOOD_CONFIG.split("auth:")[0] + oauth)
    monkeypatch.delenv("THV_REGISTRY_INSECURE_URL", raising=False)
    assert main(["validate", "--config", str(config)]) == 1
    assert "THV_REGISTRY_INSECURE_URL" in capsys.readouterr().err
    monkeypatch.setenv("THV_REGISTRY_INSECURE_URL", "true")
    assert main(["validate", "--config", str(config)]) == 0


@pytest.fixture
async def embedded_server() -> AsyncIterator[ServerProcess]:
    async with ServerProcess.running() as server:
        yield server


async def test_serve_embedded_default(embedded_server: ServerProcess) -> None:
    api, internal, process = embedded_server.api, embedded_server.internal, embedded_server.process
    async with aiohttp.ClientSession() as http:

        async def ready() -> bool:
            async with http.get(f"{internal}/readiness") as response:
                return response.status == 200

        async with http.get(f"{internal}/health") as response:
            assert await response.json() == {"status": "healthy"}
        await wait_for(ready, timeout=20)
        async with http.get(f"{api}/registry/default/v0.1/servers?limit=5") as response:
            first = await response.json()
        assert first["metadata"]["count"] == 5
        async with http.get(
            f"{api}/v0.1/servers", params={"cursor": first["metadata"]["nextCursor"]}
        ) as response:
            rest = await response.json()
        assert first["metadata"]["count"] + rest["metadata"]["count"] == 9
        assert "nextCursor" not in rest["metadata"]
        path = "/v0.1/servers/io.github.stacklok%2Fpg-explorer/versions/latest"
        async with http.get(f"{api}{path}") as response:
            assert (await response.json())["server"]["name"] == "io.github.stacklok/pg-explorer"
    process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(process.wait(), timeout=30) == 0


@pytest.mark.parametrize("fmt", ["json", "console"])
async def test_serve_honours_the_log_format_the_operator_sets(fmt: str) -> None:
    env = {**os.environ, "MCP_REGISTRY_LOG_FORMAT": fmt}

    def logged(server: ServerProcess) -> list[str]:  # the log line, not the plain one
        return [ln for ln in server.output if "listening" in ln and not ln.startswith("mcp-")]

    async with ServerProcess.running(env=env, log_level="info") as server:
        await wait_for(lambda: logged(server), timeout=20)
        line = logged(server)[0]
    if fmt == "json":
        assert json.loads(line)["event"] == "listening"
    else:
        with pytest.raises(json.JSONDecodeError):
            json.loads(line)
        assert "api=http://127.0.0.1:" in line


def test_an_unknown_log_format_is_refused_on_the_command_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        build_parser({}).parse_args(["serve", "--log-format", "xml"])
    assert "--log-format" in capsys.readouterr().err
    assert build_parser({"MCP_REGISTRY_LOG_FORMAT": "console"}).parse_args(
        ["serve"]
    ).log_format == ("console")


def test_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("mcp-registry-server 0.1.0 (commit ")


def test_help_lists_every_config_key_settable_from_the_environment(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    out = capsys.readouterr().out
    for line in (
        "THV_REGISTRY_DATABASE_HOST",
        "database.host",
        "THV_REGISTRY_DATABASE_MIGRATIONPASSWORD",
        "THV_REGISTRY_TELEMETRY_TRACING_SAMPLING",
        "telemetry.tracing.sampling",
        "THV_REGISTRY_AUTH_PUBLICPATHS",
    ):
        assert line in out


def test_environment_overrides_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(GOOD_CONFIG)
    monkeypatch.setenv("THV_REGISTRY_AUTH_MODE", "oauth")  # the file says anonymous
    assert main(["validate", "--config", str(config)]) == 1
    assert "auth.oauth" in capsys.readouterr().err
    monkeypatch.setenv("THV_REGISTRY_AUTH_MODE", "anonymous")
    monkeypatch.setenv("THV_REGISTRY_SYNC_TIMEOUT", "90s")
    assert main(["validate", "--config", str(config)]) == 0
    err = capsys.readouterr().err
    assert "set from the environment: THV_REGISTRY_AUTH_MODE THV_REGISTRY_SYNC_TIMEOUT" in err
    monkeypatch.setenv("THV_REGISTRY_SYNC_TIMEOUT", "soon")
    assert main(["validate", "--config", str(config)]) == 1
    assert "sync.timeout" in capsys.readouterr().err
