"""The `mcp-registry-server` command line: flags, their environment defaults, addresses."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from pathlib import Path

from mcp_registry_common.config import ServerConfig
from mcp_registry_common.config.envoverrides import env_help
from mcp_registry_common.formats.limits import (
    BYTES_PER_SERVER,
    DEFAULT_MAX_DOCUMENT_BYTES,
    MIB,
)
from mcp_registry_common.internaltoken import TOKEN_FILE_ENV
from mcp_registry_common.logshape import LOG_FORMATS
from mcp_registry_common.quantity import QuantityError, parse_quantity

from mcp_registry_server.api.loglimit import DEFAULT_PER_SECOND
from mcp_registry_server.buildinfo import current_build_info
from mcp_registry_server.serving import Address
from mcp_registry_server.store.postgres.commandline import add_database_commands
from mcp_registry_server.sync.engine import DEFAULT_CONCURRENCY

EPILOG = """\
environment:
  MCP_REGISTRY_ADDRESS           default for --address (HOST:PORT)
  MCP_REGISTRY_INTERNAL_ADDRESS  default for --internal-address (HOST:PORT)
  MCP_REGISTRY_INTERNAL_TOKEN_FILE
                                 default for --internal-token-file (the operator sets it)
  MCP_REGISTRY_INTERNAL_OPEN     true: as --internal-open
  MCP_REGISTRY_LOG_LEVEL         default for --log-level; falls back to THV_REGISTRY_LOG_LEVEL,
                                 then LOG_LEVEL (debug|info|warn|error; default info)
  MCP_REGISTRY_LOG_FORMAT        default for --log-format (json|console; the operator sets json)
  MCP_REGISTRY_REQUEST_LOG_LIMIT default for --request-log-limit
  MCP_REGISTRY_SYNC_CONCURRENCY  default for --sync-concurrency
  MCP_REGISTRY_MAX_DOCUMENT_BYTES default for --max-document-bytes
  MCP_REGISTRY_MAX_SERVERS       default for --max-servers
  THV_REGISTRY_INSECURE_URL      true: accept plain-http OAuth issuer and JWKS URLs
  THV_REGISTRY_WATCH_NAMESPACE   kubernetes sources without namespaces: watch these (comma
                                 list; default: the server's own namespace)
  THV_REGISTRY_LEADER_ELECTION_ID
                                 kubernetes sources' Lease name prefix (default
                                 toolhive-registry-server-leader-election)
"""


def parse_address(text: str) -> Address:
    """`HOST:PORT`, `:PORT` (all interfaces) or `[V6]:PORT`; `localhost` means 127.0.0.1."""
    host, sep, port_text = text.rpartition(":")
    if not sep or not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise argparse.ArgumentTypeError(f"address {text!r} must be HOST:PORT, e.g. :8080")
    host = host.removeprefix("[").removesuffix("]")
    if host == "localhost":
        host = "127.0.0.1"
    return Address(host=host or None, port=int(port_text))


def _at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number of `minimum` or more."""

    def parse(text: str) -> int:
        if not text.strip().isdigit() or int(text) < minimum:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of {minimum} or more")
        return int(text)

    return parse


_non_negative, _positive = _at_least(0), _at_least(1)


def _byte_size(text: str) -> int:
    """A whole number of bytes of 1 or more, plain or as a quantity (`10Mi`, `20M`)."""
    try:
        size, _ = parse_quantity(text.strip())
    except QuantityError:
        size = None
    if size is None or size.denominator != 1 or size < 1:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a size in bytes of 1 or more (e.g. 10485760 or 10Mi)"
        )
    return int(size)


def build_parser(env: Mapping[str, str]) -> argparse.ArgumentParser:
    """The argument parser; `env` supplies the documented defaults."""
    parser = argparse.ArgumentParser(
        prog="mcp-registry-server",
        description="Syncs MCP server catalogs and serves the MCP Registry API.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version", action="version", version=current_build_info().line(parser.prog)
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="run the server (without --config: the embedded sample registry)",
        epilog=f"{EPILOG}\n{env_help(ServerConfig)}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--config", type=Path, help="config.yaml (default: the embedded default)")
    serve.add_argument(
        "--address",
        type=parse_address,
        default=None,
        help="public API listener, HOST:PORT (default :8080; 127.0.0.1:8080 without --config)",
    )
    serve.add_argument(
        "--internal-address",
        type=parse_address,
        default=None,
        help="health/readiness/metrics/status listener, HOST:PORT (default :8081; "
        "127.0.0.1:8081 without --config)",
    )
    serve.add_argument(
        "--internal-token-file",
        type=Path,
        default=env.get(TOKEN_FILE_ENV) or None,
        metavar="PATH",
        help=(
            "a file holding the internal token: /status and POST /sources/{name}/sync on the "
            "internal port then need it as a bearer (401 without it), in either auth mode"
        ),
    )
    serve.add_argument(
        "--internal-open",
        action="store_true",
        default=env.get("MCP_REGISTRY_INTERNAL_OPEN", "").strip().lower() == "true",
        help=(
            "without a token file, serve /status and manual syncs on the internal port to "
            "anyone even in oauth mode (default: anonymous mode only; oauth mode answers 403)"
        ),
    )
    serve.add_argument(
        "--log-level",
        default=env.get("MCP_REGISTRY_LOG_LEVEL")
        or env.get("THV_REGISTRY_LOG_LEVEL")
        or env.get("LOG_LEVEL"),
        help="debug, info, warn or error (default info)",
    )
    serve.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        default=_log_format(env.get("MCP_REGISTRY_LOG_FORMAT")),
        help="json or console lines (default: json, console on a terminal)",
    )
    serve.add_argument(
        "--request-log-limit",
        type=_non_negative,
        default=env.get("MCP_REGISTRY_REQUEST_LOG_LIMIT", str(DEFAULT_PER_SECOND)),
        metavar="N",
        help=(
            "info lines for successful requests per second; the rest are counted in one "
            "http_requests_not_logged line per second (0: a line for every request; "
            f"default {DEFAULT_PER_SECOND}). Failed requests are always logged."
        ),
    )
    serve.add_argument(
        "--sync-concurrency",
        type=_positive,
        default=env.get("MCP_REGISTRY_SYNC_CONCURRENCY", str(DEFAULT_CONCURRENCY)),
        metavar="N",
        help=(
            "sync attempts that run at once; one still running after its slot lease (10 s) "
            "runs on without a slot, and no source waits longer than its interval for one "
            f"(default {DEFAULT_CONCURRENCY})"
        ),
    )
    serve.add_argument(
        "--max-document-bytes",
        type=_byte_size,
        default=env.get("MCP_REGISTRY_MAX_DOCUMENT_BYTES", str(DEFAULT_MAX_DOCUMENT_BYTES)),
        metavar="SIZE",
        help=(
            "largest registry document a source may fetch (a file, URL or git blob, or an API "
            "source's pages together), in bytes or as 10Mi; it also allows one JSON value per "
            "16 bytes. The server's peak memory grows with it: see the README, Memory "
            f"(default {DEFAULT_MAX_DOCUMENT_BYTES // MIB}Mi)"
        ),
    )
    serve.add_argument(
        "--max-servers",
        type=_positive,
        default=env.get("MCP_REGISTRY_MAX_SERVERS"),
        metavar="N",
        help=(
            "most servers one source may list (default: one per "
            f"{BYTES_PER_SERVER} bytes of --max-document-bytes, "
            f"{DEFAULT_MAX_DOCUMENT_BYTES // BYTES_PER_SERVER} by default)"
        ),
    )
    serve.add_argument(
        "--kubeconfig",
        default=None,
        metavar="PATH",
        help="kubernetes sources: reach the cluster with this kubeconfig (its context's "
        "namespace is the server's own) instead of the pod's service account",
    )
    validate = commands.add_parser("validate", help="check a config file and print its warnings")
    validate.add_argument("--config", type=Path, required=True, help="config.yaml to check")
    version = commands.add_parser("version", help="print the build's version")
    version.add_argument("--format", choices=("text", "json"), default="text")
    add_database_commands(commands)
    return parser


def _log_format(text: str | None) -> str | None:
    """`MCP_REGISTRY_LOG_FORMAT` as a --log-format default (None: unset, or none of the
    formats: then JSON off a terminal, and `serve` warns about the value)."""
    value = (text or "").strip().lower()
    return value if value in LOG_FORMATS else None
