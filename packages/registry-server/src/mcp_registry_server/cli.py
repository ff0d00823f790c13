"""The `mcp-registry-server` command: serve, validate a config file, print the version."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import structlog
from mcp_registry_common.config import ConfigError, ServerConfig, load_server_config_file
from mcp_registry_common.internalapi import API_PORT, INTERNAL_PORT
from mcp_registry_common.logshape import parse_format, parse_level

from mcp_registry_server.api.internal_access import InternalTokenFileError, read_token_file
from mcp_registry_server.api.loglimit import limit_at_level
from mcp_registry_server.app import StoreNotConfiguredError, StoreOpener, create_apps
from mcp_registry_server.auth.errors import AuthConfigError
from mcp_registry_server.auth.layer import insecure_urls_allowed
from mcp_registry_server.buildinfo import current_build_info
from mcp_registry_server.cliargs import build_parser, parse_address
from mcp_registry_server.defaults import embedded_default_config
from mcp_registry_server.logs import configure_logging
from mcp_registry_server.memtrim import use_one_malloc_arena
from mcp_registry_server.serving import Address, serve_both
from mcp_registry_server.sources.base import FetchLimits
from mcp_registry_server.sources.kubernetes.settings import KubeSettings
from mcp_registry_server.store.postgres.pgpass import PgpassError
from mcp_registry_server.store.postgres.settings import DatabaseConfigError, DatabaseConfigLike

log = structlog.get_logger("mcp_registry_server.cli")


def listen_addresses(args: argparse.Namespace, env: Mapping[str, str]) -> tuple[Address, Address]:
    """(API, internal) listeners: the flag, else the environment, else the default. The
    embedded default (no --config) binds loopback only: its admin API is anonymous and
    writable, a demo for this machine, not for the network."""
    host = "127.0.0.1" if args.config is None else ""
    api = args.address or parse_address(env.get("MCP_REGISTRY_ADDRESS") or f"{host}:{API_PORT}")
    internal = args.internal_address or parse_address(
        env.get("MCP_REGISTRY_INTERNAL_ADDRESS") or f"{host}:{INTERNAL_PORT}"
    )
    return api, internal


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `mcp-registry-server` script; returns the exit status."""
    args = build_parser(os.environ).parse_args(argv)
    if args.command == "version":
        return _version(args.format)
    if args.command == "validate":
        return _validate(args.config)
    if args.command in ("migrate", "prime-db"):
        # Imported here: the database modules load asyncpg, which `serve` on the in-memory
        # store never needs (the asyncpg-loaded-lazily test checks it).
        from mcp_registry_server.store.postgres.commands import run_database_command

        return run_database_command(
            args,
            load_config=_load,
            env=os.environ,
            stdin=sys.stdin,
            stdout=sys.stdout,
            stderr=sys.stderr,
        )
    return _serve(args)


def _version(fmt: str) -> int:
    info = current_build_info()
    if fmt == "json":
        print(json.dumps(info.to_dict()))
    else:
        print(
            f"mcp-registry-server {info.version} (commit {info.commit}, built {info.build_date}, "
            f"python {info.python_version}, {info.platform})"
        )
    return 0


def _load(path: Path) -> ServerConfig | None:
    """The config in `path` and `THV_REGISTRY_<KEY>` variables, warnings printed to stderr;
    None (problems printed) when invalid. Plain-http issuers need THV_REGISTRY_INSECURE_URL."""
    try:
        loaded = load_server_config_file(
            path, allow_insecure_urls=insecure_urls_allowed(os.environ), env=os.environ
        )
    except ConfigError as exc:
        print(f"{path}: invalid configuration:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        for warning in exc.warnings:
            print(f"{path}: warning: {warning}", file=sys.stderr)
        return None
    for warning in loaded.warnings:
        print(f"{path}: warning: {warning}", file=sys.stderr)
    if loaded.from_env:
        print(f"{path}: set from the environment: {' '.join(loaded.from_env)}", file=sys.stderr)
    return loaded.config


def _validate(path: Path) -> int:
    config = _load(path)
    if config is None:
        return 1
    print(f"{path}: valid ({len(config.sources)} sources, {len(config.registries)} registries)")
    return 0


def _serve(args: argparse.Namespace) -> int:
    use_one_malloc_arena()  # before any thread starts (memtrim.py says why)
    level, level_warning = parse_level(args.log_level)
    as_json, format_warning = parse_format(os.environ.get("MCP_REGISTRY_LOG_FORMAT"))
    if args.log_format is not None:
        as_json, format_warning = args.log_format == "json", None
    configure_logging(level, json=as_json)
    if level_warning:
        log.warning("log_level_invalid", detail=level_warning)
    if format_warning:
        log.warning("log_format_invalid", detail=format_warning)
    config = embedded_default_config() if args.config is None else _load(args.config)
    if config is None:
        return 2
    try:
        token = None
        if args.internal_token_file is not None:
            token = read_token_file(args.internal_token_file)
        # database: → PostgreSQL; `migrate up` runs as the store opens (before listening).
        opener = None if config.database is None else _postgres_opener(config.database)
        public, internal = create_apps(
            config,
            store_opener=opener,
            allow_insecure_http=insecure_urls_allowed(os.environ),
            request_log_limit=limit_at_level(args.request_log_limit, level),
            sync_concurrency=args.sync_concurrency,
            fetch_limits=FetchLimits(
                max_bytes=args.max_document_bytes, max_servers=args.max_servers
            ),
            internal_token=token,
            internal_open=args.internal_open,
            kube=KubeSettings.from_env(os.environ, kubeconfig=args.kubeconfig),
        )
    except (
        InternalTokenFileError,
        AuthConfigError,
        StoreNotConfiguredError,
        DatabaseConfigError,
        PgpassError,
    ) as exc:
        print(f"mcp-registry-server: {exc}", file=sys.stderr)
        return 2
    api, admin = listen_addresses(args, os.environ)
    first = config.registries[0].name if config.registries else None
    return asyncio.run(serve_both(public, internal, api=api, admin=admin, registry=first))


def _postgres_opener(database: DatabaseConfigLike) -> StoreOpener:
    """The PostgreSQL store opener; imported here so that asyncpg loads only with a
    database: section (the asyncpg-loaded-lazily test checks it)."""
    from mcp_registry_server.store.postgres.lifecycle import postgres_store_opener

    return postgres_store_opener(database)


if __name__ == "__main__":
    sys.exit(main())
