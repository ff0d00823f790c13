"""Git sources: a bare clone per source, refreshed by shallow fetches, one file read from a tree.

dulwich is blocking, so each fetch runs on a thread of its own that an abandoned attempt stops
(`sources.blocking`), through transports with socket timeouts (`sources.gittransport`); these
three are the only modules that import dulwich.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

from dulwich.client import GitClient, HTTPUnauthorized
from dulwich.errors import GitProtocolError, HangupException, NotGitRepository
from dulwich.object_store import tree_lookup_path
from dulwich.objects import Blob, Commit, ObjectID, Tag
from dulwich.refs import Ref
from dulwich.repo import Repo
from mcp_registry_common.config.sources import DEFAULT_GIT_TIMEOUT
from mcp_registry_common.durations import parse_go_duration
from mcp_registry_common.redaction import REDACTED, redact_text, redact_url

from mcp_registry_server.netguard import GUARD, REFUSED, AddressGuard, refused
from mcp_registry_server.sources.base import FetchedDocument, FetchLimits, sha256_hex
from mcp_registry_server.sources.blocking import BlockingWorker, WorkerBusyError
from mcp_registry_server.sources.errors import (
    FetchError,
    SourceAddressError,
    SourceAuthError,
    SourceConfigError,
    SourceNotFoundError,
    SourceTimeoutError,
    SourceTooLargeError,
    SourceUnavailableError,
)
from mcp_registry_server.sources.gittransport import ProxyRefusedError, open_client

RefKind = Literal["commit", "tag", "branch", "default"]
DEFAULT_PATH = "registry.json"
DEFAULT_TIMEOUT = parse_go_duration(DEFAULT_GIT_TIMEOUT)
"""Socket timeout of the git transports when the source sets none (`git.timeout`)."""
_MAX_PACKS = 50
"""Re-clone from scratch once this many packs piled up (each changed fetch adds one)."""
_SHA = re.compile(r"^[0-9a-f]{7,64}$")


@dataclass(frozen=True, slots=True)
class GitTarget:
    """What to read: repository, ref (commit > tag > branch > remote default) and file path."""

    repository: str
    ref_kind: RefKind = "default"
    ref: str | None = None
    path: str = DEFAULT_PATH
    username: str | None = None
    password_file: Path | None = None

    def describe(self) -> str:
        ref = "the default branch" if self.ref_kind == "default" else f"{self.ref_kind} {self.ref}"
        return f"{redact_url(self.repository)} at {ref}"


class GitFetcher:
    """Keeps a bare clone under `workdir` and re-uses it: ls-remote first, fetch only on change.

    `timeout` is the socket timeout: the longest wait to connect or for the remote's next
    bytes. A fetch abandoned by its caller (the attempt's deadline) stops its thread at once.
    `guard` checks every address connected to (None: any address, `allowPrivateIP`).
    """

    def __init__(
        self,
        target: GitTarget,
        *,
        workdir: Path,
        limits: FetchLimits,
        timeout: float = DEFAULT_TIMEOUT,
        guard: AddressGuard | None = GUARD,
    ) -> None:
        self._target = target
        self._guard = guard
        self._clone_dir = workdir / clone_dir_name(target)
        self._limits = limits
        self._timeout = timeout
        # One thread at a time per clone: an abandoned one gets `timeout` to end first.
        self._worker = BlockingWorker(f"git-fetch-{self._clone_dir.name}")

    async def fetch(self) -> FetchedDocument:
        path = repo_path(self._target.path)
        try:
            return await self._worker.run(lambda: self._fetch_blocking(path), grace=self._timeout)
        except WorkerBusyError:
            raise SourceUnavailableError(
                f"a previous fetch of {self._target.describe()} is still running"
            ) from None

    def _read_password(self) -> str | None:
        pw_file = self._target.password_file
        if pw_file is None:
            return None
        try:
            return pw_file.resolve(strict=True).read_text(encoding="utf-8")[:65536].strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise SourceConfigError(f"git password file {pw_file} is not readable: {exc}") from None

    def _fetch_blocking(self, path: bytes) -> FetchedDocument:
        password = self._read_password()
        try:
            with (
                open_client(
                    self._target.repository,
                    timeout=self._timeout,
                    username=self._target.username,
                    password=password if self._target.username else None,
                    guard=self._guard,
                ) as (client, remote_path),
                contextlib.closing(open_clone(self._clone_dir)) as clone,
            ):
                commit = self._update(client, remote_path, clone)
                data = read_blob(clone, commit, path, limits=self._limits, target=self._target)
        except FetchError:
            raise
        except Exception as exc:  # dulwich and urllib3 raise many unrelated types
            raise _translate(exc, self._target, password, timeout=self._timeout) from None
        origin = f"{self._target.describe()} ({commit.decode()[:12]}):{self._target.path}"
        return FetchedDocument(data=data, content_hash=sha256_hex(data), origin=origin)

    def _update(self, client: GitClient, remote_path: str, clone: Repo) -> ObjectID:
        """Bring the wanted commit into `clone` (fetching only when missing); return its sha."""
        target = self._target
        if target.ref_kind == "commit":
            ref = commit_ref(target.ref)
            sha = resolve_commit(clone, ref)
            if sha is None:
                if len(ref) in (40, 64):
                    fetch_pinned_commit(client, remote_path, clone, ObjectID(ref.encode()))
                else:  # an abbreviated sha can only be found among everything the refs reach
                    client.fetch(remote_path, clone)
                sha = resolve_commit(clone, ref)
            if sha is None:
                raise SourceNotFoundError(
                    f"commit {ref} not found in {redact_url(target.repository)}"
                )
            return sha
        advertised = client.get_refs(remote_path.encode())
        name = wanted_ref(target, advertised.symrefs)
        remote_sha = advertised.refs.get(name)
        if remote_sha is None:
            raise SourceNotFoundError(f"{target.describe()}: ref {name.decode()} does not exist")
        if remote_sha not in clone.object_store:
            client.fetch(remote_path, clone, determine_wants=_Want(remote_sha), depth=1)
        return peel_to_commit(clone, remote_sha)


def fetch_pinned_commit(client: GitClient, remote_path: str, clone: Repo, sha: ObjectID) -> None:
    """Shallow fetch of a commit sha; servers that refuse unadvertised wants get a full fetch."""
    try:
        client.fetch(remote_path, clone, determine_wants=_Want(sha), depth=1)
    except (GitProtocolError, HangupException):
        client.fetch(remote_path, clone)


@dataclass(frozen=True, slots=True)
class _Want:
    """dulwich `determine_wants`: exactly one object, whatever the remote advertises."""

    sha: ObjectID

    def __call__(self, refs: Mapping[Ref, ObjectID], depth: int | None = None) -> list[ObjectID]:
        return [self.sha]


def wanted_ref(target: GitTarget, symrefs: Mapping[Ref, Ref]) -> Ref:
    """The full ref name to resolve on the remote."""
    if target.ref_kind == "branch":
        return Ref(b"refs/heads/" + str(target.ref).encode())
    if target.ref_kind == "tag":
        return Ref(b"refs/tags/" + str(target.ref).encode())
    return symrefs.get(Ref(b"HEAD"), Ref(b"HEAD"))


def commit_ref(ref: str | None) -> str:
    """A (possibly abbreviated) lowercase hex commit id, or a configuration error."""
    text = (ref or "").strip().lower()
    if not _SHA.fullmatch(text):
        raise SourceConfigError(f"git commit {ref!r} must be 7 to 64 hexadecimal digits")
    return text


def resolve_commit(clone: Repo, ref: str) -> ObjectID | None:
    """The commit in `clone` whose id is or starts with `ref`; None when absent."""
    matches = [
        sha
        for sha in clone.object_store.iter_prefix(ref.encode())
        if isinstance(clone[sha], Commit)
    ]
    if len(matches) > 1:
        raise SourceConfigError(f"git commit {ref!r} is ambiguous; give more digits")
    return matches[0] if matches else None


def peel_to_commit(clone: Repo, sha: ObjectID) -> ObjectID:
    """Follow annotated tags to the commit they name."""
    obj = clone[sha]
    while isinstance(obj, Tag):
        obj = clone[obj.object[1]]
    if not isinstance(obj, Commit):
        raise SourceNotFoundError(f"{sha.decode()} is a {obj.type_name.decode()}, not a commit")
    return obj.id


def repo_path(path: str) -> bytes:
    """`path` as a tree path; absolute paths and `..` (escaping the repository) are refused."""
    pure = PurePosixPath(path)
    if not path or pure.is_absolute() or "\\" in path or ".." in pure.parts:
        raise SourceConfigError(
            f"git path {path!r} must be a relative path inside the repository (no '/', '..' prefix)"
        )
    parts = [p for p in pure.parts if p != "."]
    if not parts:
        raise SourceConfigError(f"git path {path!r} does not name a file")
    return "/".join(parts).encode()


def read_blob(
    clone: Repo, commit: ObjectID, path: bytes, *, limits: FetchLimits, target: GitTarget
) -> bytes:
    """The file at `path` in `commit`'s tree, without a checkout."""
    where = f"{target.describe()} ({commit.decode()[:12]})"
    obj = clone[commit]
    if not isinstance(obj, Commit):
        raise SourceNotFoundError(f"{where} is not a commit")
    try:
        _mode, sha = tree_lookup_path(clone.__getitem__, obj.tree, path)
    except KeyError:
        raise SourceNotFoundError(f"path {path.decode()!r} not found in {where}") from None
    blob = clone[sha]
    if not isinstance(blob, Blob):
        raise SourceNotFoundError(f"path {path.decode()!r} in {where} is not a file")
    if blob.raw_length() > limits.max_bytes:
        raise SourceTooLargeError(
            f"{path.decode()} in {where} is larger than the {limits.max_bytes} byte limit"
        )
    return blob.as_raw_string()


def clone_dir_name(target: GitTarget) -> str:
    """Stable per repository and depth mode, so a changed URL or a commit pin gets its own clone."""
    mode = "full" if target.ref_kind == "commit" else "shallow"
    digest = hashlib.sha256(f"{mode}\0{target.repository}".encode()).hexdigest()[:16]
    return f"{mode}-{digest}"


def open_clone(directory: Path) -> Repo:
    """The bare clone in `directory`; created, or re-created when broken or bloated with packs."""
    if directory.exists():
        try:
            packs = list((directory / "objects" / "pack").glob("*.pack"))
            if len(packs) <= _MAX_PACKS:
                return Repo(str(directory))
        except (NotGitRepository, OSError):
            pass
        shutil.rmtree(directory, ignore_errors=True)
    directory.parent.mkdir(parents=True, exist_ok=True)
    return Repo.init_bare(str(directory), mkdir=True)


def _translate(
    exc: Exception, target: GitTarget, password: str | None, *, timeout: float
) -> FetchError:
    where = target.describe()
    if refused(exc):  # the guard's one message: no address, port or connect error told
        return SourceAddressError(f"git fetch of {where} failed: {REFUSED}")
    if isinstance(exc, ProxyRefusedError):
        return SourceConfigError(f"git fetch of {where}: {exc}")
    if _timed_out(exc):
        return SourceTimeoutError(f"no answer from {where} within {timeout:g}s (git.timeout)")
    if isinstance(exc, HTTPUnauthorized):
        hint = "" if target.username else " (no credentials configured)"
        return SourceAuthError(f"authentication failed for {where}{hint}")
    if isinstance(exc, NotGitRepository):
        return SourceNotFoundError(f"no git repository at {redact_url(target.repository)}")
    text = str(exc).replace(target.repository, redact_url(target.repository))
    if password:
        text = text.replace(password, REDACTED)
    text = redact_text(text)  # any other URL dulwich names (a redirect's, say)
    return SourceUnavailableError(f"git fetch of {where} failed: {type(exc).__name__}: {text}")


def _timed_out(exc: BaseException) -> bool:
    """A socket timeout anywhere in the chain (dulwich and urllib3 wrap it in their own)."""
    seen: BaseException | None = exc
    for _ in range(16):
        if seen is None:
            return False
        if isinstance(seen, TimeoutError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
