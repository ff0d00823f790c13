"""The `mcp-registry-operator` command: flags and environment become OperatorSettings, then
the operator runs until SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path

import structlog
from mcp_registry_common.buildinfo import BUILD_FILE, BuildInfo, read_build_info
from mcp_registry_common.logshape import LOG_FORMATS

from mcp_registry_operator import __version__
from mcp_registry_operator.app import OperatorSettings, run_operator
from mcp_registry_operator.logs import LEVELS, configure_logging
from mcp_registry_operator.reconcile.reconciler import ReconcilerSettings
from mcp_registry_operator.runtime.controller import ControllerSettings
from mcp_registry_operator.runtime.leader import LeaderElectionSettings, LeadershipLostError

log = structlog.get_logger("mcp_registry_operator.cli")

DEFAULT_IMAGE = f"ghcr.io/mcp-registry/mcp-registry-server:{__version__}"
EPILOG = f"""\
environment:
  WATCH_NAMESPACE                    comma-separated namespaces to watch; unset or empty: all
  POD_NAMESPACE                      namespace of the leader-election Lease (default: default)
  POD_NAME                           this replica's identity in the Lease and in Events
  MCP_REGISTRY_SERVER_IMAGE          registry server image (default {DEFAULT_IMAGE})
  MCP_REGISTRY_DEFAULT_PULL_SECRETS  comma-separated image pull secrets added to every server
  MCP_REGISTRY_POD_PROXY             "true": status requests to pod IPs use HTTP(S)_PROXY too
  KUBERNETES_SERVICE_HOST            set in a pod: use the service account, not a kubeconfig
"""


class UsageError(ValueError):
    """A flag or environment variable has a value the operator cannot use."""


def parse_address(text: str) -> tuple[str, int]:
    """`HOST:PORT` or `:PORT` (every interface)."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"address {text!r} must be HOST:PORT, e.g. :8081")
    return host.strip("[]") or "0.0.0.0", int(port)


def comma_list(text: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


def missing_kubeconfig(kubeconfig: str | None, env: Mapping[str, str], home: Path) -> str | None:
    """Pure: outside a cluster, the one line to print when no kubeconfig file can be read
    (`--kubeconfig`, else each path of $KUBECONFIG, else ~/.kube/config); None when one can."""
    if kubeconfig is not None:
        candidates = [kubeconfig]
    elif env.get("KUBECONFIG"):
        candidates = [p for p in env["KUBECONFIG"].split(os.pathsep) if p]
    else:
        candidates = [str(home / ".kube" / "config")]
    if any(Path(path).expanduser().is_file() for path in candidates):
        return None
    return (
        "no cluster to connect to: not in a pod (KUBERNETES_SERVICE_HOST is unset) and no "
        f"kubeconfig at {', '.join(candidates)}; give --kubeconfig PATH or set KUBECONFIG"
    )


def build_info() -> BuildInfo:
    """The running build: the version, and the commit and build time an image stamped."""
    return read_build_info(
        "mcp-registry-operator",
        fallback_version=__version__,
        build_file=resources.files("mcp_registry_operator") / "data" / BUILD_FILE,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mcp-registry-operator",
        description="Reconciles MCPRegistry objects into running MCP registry servers.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=build_info().line(parser.prog))
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "run",
        help="run the operator",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "--health-address",
        type=parse_address,
        default=("0.0.0.0", 8081),
        help="/healthz, /readyz and /metrics (default :8081)",
    )
    run.add_argument(
        "--leader-elect",
        action="store_true",
        help="elect a leader on a Lease; only the leader reconciles",
    )
    run.add_argument("--lease-name", default="mcp-registry-operator-leader")
    run.add_argument("--log-level", default="info", choices=sorted(LEVELS))
    run.add_argument("--log-format", default="json", choices=LOG_FORMATS)
    run.add_argument(
        "--kubeconfig",
        default=None,
        help="kubeconfig outside a cluster (default $KUBECONFIG or ~/.kube/config)",
    )
    run.add_argument("--workers", type=int, default=8, help="registries reconciled at once")
    run.add_argument(
        "--poll-interval",
        type=float,
        default=5.0,
        help="seconds between looks while a registry is not Ready or syncing",
    )
    run.add_argument(
        "--steady-interval",
        type=float,
        default=60.0,
        help="seconds between looks at a Ready registry",
    )
    return parser


def settings_from(args: argparse.Namespace, env: Mapping[str, str]) -> OperatorSettings:
    """Pure: the operator's settings from parsed flags and an environment."""
    if args.workers < 1 or args.poll_interval <= 0 or args.steady_interval <= 0:
        raise UsageError("--workers, --poll-interval and --steady-interval must be positive")
    identity = env.get("POD_NAME") or f"mcp-registry-operator-{os.getpid()}"
    namespaces = comma_list(env.get("WATCH_NAMESPACE"))
    lease = None
    if args.leader_elect:
        lease = LeaderElectionSettings(
            namespace=env.get("POD_NAMESPACE") or "default",
            name=args.lease_name,
            identity=identity,
        )
    reconciler = ReconcilerSettings(
        image=env.get("MCP_REGISTRY_SERVER_IMAGE") or DEFAULT_IMAGE,
        default_pull_secrets=comma_list(env.get("MCP_REGISTRY_DEFAULT_PULL_SECRETS")),
        namespaces=namespaces or None,
        poll_interval=args.poll_interval,
        steady_interval=args.steady_interval,
    )
    host, port = args.health_address
    return OperatorSettings(
        reconciler=reconciler,
        identity=identity,
        health_host=host,
        health_port=port,
        leader_election=lease,
        controller=ControllerSettings(workers=args.workers),
        pod_requests_use_proxy=env.get("MCP_REGISTRY_POD_PROXY", "").strip().lower() == "true",
    )


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    environ = os.environ if env is None else env
    args = build_parser().parse_args(argv)
    configure_logging(level=args.log_level, fmt=args.log_format)
    try:
        settings = settings_from(args, environ)
    except UsageError as exc:
        print(f"mcp-registry-operator: {exc}", file=sys.stderr)
        return 2
    in_cluster = bool(environ.get("KUBERNETES_SERVICE_HOST")) and args.kubeconfig is None
    problem = None if in_cluster else missing_kubeconfig(args.kubeconfig, environ, Path.home())
    if problem is not None:
        print(f"mcp-registry-operator: {problem}", file=sys.stderr)
        return 1
    log.info(
        "operator_starting",
        version=__version__,
        commit=build_info().commit,
        namespaces=list(settings.reconciler.namespaces or ["*"]),
        leader_election=settings.leader_election is not None,
        image=settings.reconciler.image,
        in_cluster=in_cluster,
    )
    try:
        asyncio.run(run_operator(settings, in_cluster=in_cluster, kubeconfig=args.kubeconfig))
    except LeadershipLostError as exc:
        log.error("leadership_lost", error=str(exc))
        return 1
    log.info("operator_stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
