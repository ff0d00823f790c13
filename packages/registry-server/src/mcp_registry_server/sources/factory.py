"""Build the fetcher for one configured source (the only place that reads source config blocks)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import aiohttp
from mcp_registry_common.config.sources import SourceConfig
from mcp_registry_common.durations import parse_go_duration

from mcp_registry_server.netguard import GUARD, AddressGuard
from mcp_registry_server.sources.api import ApiFetcher
from mcp_registry_server.sources.base import Fetcher, FetchLimits
from mcp_registry_server.sources.errors import SourceConfigError
from mcp_registry_server.sources.file import FilePathFetcher, FileUrlFetcher
from mcp_registry_server.sources.kubernetes.settings import KubeSettings
from mcp_registry_server.sources.localfiles import RootedFetcher, local_path
from mcp_registry_server.sources.unsynced import UNSYNCED_KINDS, UnsyncedFetcher


def fetcher_for(
    source: SourceConfig,
    *,
    http: aiohttp.ClientSession,
    workdir: Path,
    limits: FetchLimits | None = None,
    guard: AddressGuard | None = GUARD,
    kube: KubeSettings | None = None,
    elect: bool = False,
    file_roots: Sequence[str] | None = None,
) -> Fetcher:
    """The fetcher for `source`; `workdir` holds git clones (one directory per repository);
    `guard` checks every address its fetches connect to (None when private ones are allowed).
    A kubernetes source uses `kube`, and elects one writer by Lease when `elect` (a store
    shared by replicas). A local file or repository must lie under `file_roots` at every fetch
    unless that is None."""
    limits = limits or FetchLimits()
    if source.kind in UNSYNCED_KINDS:
        return UnsyncedFetcher(source.kind)
    if source.kind == "kubernetes":
        # Imported here: kubernetes-asyncio is loaded only when such a source is configured.
        from mcp_registry_server.sources.kubernetes.source import KubernetesSource

        return KubernetesSource(source, settings=kube or KubeSettings(), elect=elect)
    if source.kind == "git" and source.git is not None:
        # dulwich and urllib3 cost ~18 MB of RSS: imported only by a server with a git source
        from mcp_registry_server.sources.git import DEFAULT_PATH, GitFetcher, GitTarget

        git = source.git
        auth = git.auth
        target = GitTarget(
            repository=git.repository,
            ref_kind=git.ref_kind or "default",
            ref=git.ref,
            path=git.path or DEFAULT_PATH,
            username=auth.username if auth else None,
            password_file=Path(auth.password_file) if auth and auth.password_file else None,
        )
        fetcher: Fetcher = GitFetcher(
            target, workdir=workdir, limits=limits, timeout=git.timeout_seconds, guard=guard
        )
        path = local_path(source)
        if file_roots is not None and path is not None:
            fetcher = RootedFetcher(fetcher, path=path, roots=file_roots)
        return fetcher
    if source.kind == "api" and source.api is not None:
        api = source.api
        return ApiFetcher(
            api.endpoint,
            http=http,
            timeout=parse_go_duration(api.timeout),
            max_pages=api.max_pages,
            limits=limits,
            guard=guard,
        )
    if source.kind == "file" and source.file is not None:
        file = source.file
        if file.url:
            return FileUrlFetcher(
                file.url, http=http, timeout=file.timeout_seconds, limits=limits, guard=guard
            )
        if file.path:
            return FilePathFetcher(Path(file.path), limits=limits, roots=file_roots)
    raise SourceConfigError(f"source {source.name!r}: no usable {source.kind} configuration")
