"""Git sources against real repositories served over smart HTTP (and file://) by dulwich."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from aiohttp.web import Application
from mcp_registry_server.sources.base import FetchLimits
from mcp_registry_server.sources.errors import (
    SourceAuthError,
    SourceConfigError,
    SourceNotFoundError,
    SourceTooLargeError,
    SourceUnavailableError,
)
from mcp_registry_server.sources.git import GitFetcher, GitTarget, RefKind, repo_path
from mcp_registry_testing.gitrepos import GitHttpServer, GitRepo

ServerFactory = Callable[[Application], Awaitable[TestServer]]
V1 = b'{"version": 1}'
V2 = b'{"version": 2}'


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo.init(tmp_path / "src")
    repo.commit({"registry.json": V1, "nested/dir/other.json": b"{}"}, "first")
    return repo


async def serve(
    aiohttp_server: ServerFactory, repo: GitRepo, git: GitHttpServer | None = None
) -> tuple[GitHttpServer, str]:
    git = git or GitHttpServer()
    server = await aiohttp_server(git.app(repo))
    return git, str(server.make_url(git.mount))


def fetcher(tmp_path: Path, repository: str, **kw: object) -> GitFetcher:
    target = GitTarget(repository=repository, **kw)  # type: ignore[arg-type]
    # loopback remotes: no private-address guard (test_sources_netguard.py has it)
    return GitFetcher(target, workdir=tmp_path / "work", limits=FetchLimits(), guard=None)


async def test_default_branch_over_http(
    aiohttp_server: ServerFactory, repo: GitRepo, tmp_path: Path
) -> None:
    _, url = await serve(aiohttp_server, repo)
    result = await fetcher(tmp_path, url).fetch()
    assert result.data == V1
    assert result.content_hash == hashlib.sha256(V1).hexdigest()
    assert url in result.origin
    assert "registry.json" in result.origin


@pytest.mark.parametrize(
    ("kind", "ref"), [("branch", "release"), ("tag", "v1"), ("tag", "v1-light")]
)
async def test_branch_and_tag_pins(
    aiohttp_server: ServerFactory, repo: GitRepo, tmp_path: Path, kind: RefKind, ref: str
) -> None:
    repo.tag("v1")
    repo.tag("v1-light", annotated=False)
    repo.branch("release")
    repo.commit({"registry.json": b'{"release": true}'})
    repo.checkout("master")
    repo.commit({"registry.json": V2})
    _, url = await serve(aiohttp_server, repo)
    result = await fetcher(tmp_path, url, ref_kind=kind, ref=ref).fetch()
    assert result.data == (b'{"release": true}' if kind == "branch" else V1)


@pytest.mark.parametrize("digits", [40, 7])
async def test_commit_pin_that_is_not_a_ref_tip(
    aiohttp_server: ServerFactory, repo: GitRepo, tmp_path: Path, digits: int
) -> None:
    old = repo.commit({"registry.json": b'{"old": true}'})
    repo.commit({"registry.json": V2})
    _, url = await serve(aiohttp_server, repo)
    # dulwich's server refuses unadvertised wants, so this exercises the full-fetch fallback.
    result = await fetcher(tmp_path, url, ref_kind="commit", ref=old[:digits]).fetch()
    assert result.data == b'{"old": true}'
    assert old[:12] in result.origin


async def test_unknown_commit_is_not_found(
    aiohttp_server: ServerFactory, repo: GitRepo, tmp_path: Path
) -> None:
    _, url = await serve(aiohttp_server, repo)
    with pytest.raises(SourceNotFoundError, match="commit 0123456789abcdef not found"):
        await fetcher(tmp_path, url, ref_kind="commit", ref="0123456789abcdef").fetch()


async def test_clone_is_reused_and_fetch_skipped_when_ref_unchanged(
    aiohttp_server: ServerFactory, repo: GitRepo, tmp_path: Path
) -> None:
    git, url = await serve(aiohttp_server, repo)
    source = fetcher(tmp_path, url, ref_kind="branch", ref="master")
    assert (await source.fetch()).data == V1
    assert (git.uploads, git.ref_listings) == (1, 2)  # ls-remote, then the fetch's own listing
    assert (await source.fetch()).data == V1
    assert (git.uploads, git.ref_listings) == (1, 3), "unchanged ref: ls-remote only"
    repo.commit({"registry.json": V2})
    assert (await source.fetch()).data == V2
    assert git.uploads == 2
    clones = list((tmp_path / "work").iterdir())
    assert len(clones) == 1, "one bare clone, re-used"
    assert (clones[0] / "objects").is_dir()
    # A fresh fetcher (a restarted server) finds the commit in the existing clone.
    assert (await fetcher(tmp_path, url, ref_kind="branch", ref="master").fetch()).data == V2
    assert git.uploads == 2


async def test_private_repository_with_password_file(
    aiohttp_server: ServerFactory, repo: GitRepo, tmp_path: Path
) -> None:
    git, url = await serve(aiohttp_server, repo, GitHttpServer(credentials=("bot", "s3cret-1")))
    password_file = tmp_path / "password"
    password_file.write_text("s3cret-1\n")
    password_file.chmod(0o600)
    source = fetcher(tmp_path, url, username="bot", password_file=password_file)
    assert (await source.fetch()).data == V1
    # The file is re-read at every fetch: a rotated secret takes effect without a restart.
    git.credentials = ("bot", "s3cret-2")
    password_file.write_text("  s3cret-2  \n")
    repo.commit({"registry.json": V2})
    assert (await source.fetch()).data == V2


async def test_wrong_or_missing_credentials(
    aiohttp_server: ServerFactory, repo: GitRepo, tmp_path: Path
) -> None:
    git, url = await serve(aiohttp_server, repo, GitHttpServer(credentials=("bot", "right")))
    password_file = tmp_path / "password"
    password_file.write_text("wrong-password")
    with pytest.raises(SourceAuthError) as caught:
        await fetcher(tmp_path, url, username="bot", password_file=password_file).fetch()
    assert "authentication failed" in str(caught.value)
    assert "wrong-password" not in str(caught.value)
    with pytest.raises(SourceAuthError, match="no credentials configured"):
        await fetcher(tmp_path, url).fetch()
    assert git.unauthorized >= 2


async def test_missing_password_file_is_a_config_error(repo: GitRepo, tmp_path: Path) -> None:
    source = fetcher(tmp_path, repo.file_url, username="bot", password_file=tmp_path / "nope")
    with pytest.raises(SourceConfigError, match=r"password file .*nope is not readable"):
        await source.fetch()


async def test_missing_path_names_path_and_ref(
    aiohttp_server: ServerFactory, repo: GitRepo, tmp_path: Path
) -> None:
    _, url = await serve(aiohttp_server, repo)
    source = fetcher(tmp_path, url, ref_kind="branch", ref="master", path="data/registry.json")
    with pytest.raises(SourceNotFoundError) as caught:
        await source.fetch()
    message = str(caught.value)
    assert "'data/registry.json' not found" in message
    assert "branch master" in message


async def test_path_that_is_a_directory(repo: GitRepo, tmp_path: Path) -> None:
    with pytest.raises(SourceNotFoundError, match=r"'nested/dir' .* is not a file"):
        await fetcher(tmp_path, repo.file_url, path="nested/dir").fetch()


async def test_nested_path_and_missing_branch(
    aiohttp_server: ServerFactory, repo: GitRepo, tmp_path: Path
) -> None:
    _, url = await serve(aiohttp_server, repo)
    assert (await fetcher(tmp_path, url, path="./nested/dir/other.json").fetch()).data == b"{}"
    with pytest.raises(SourceNotFoundError, match="refs/heads/nope does not exist"):
        await fetcher(tmp_path, url, ref_kind="branch", ref="nope").fetch()


async def test_no_repository_at_url(
    aiohttp_server: ServerFactory, repo: GitRepo, tmp_path: Path
) -> None:
    _git, url = await serve(aiohttp_server, repo)
    with pytest.raises(SourceNotFoundError, match="no git repository at"):
        await fetcher(tmp_path, url.replace("repo.git", "other.git")).fetch()


async def test_file_url_and_plain_path(repo: GitRepo, tmp_path: Path) -> None:
    assert (await fetcher(tmp_path, repo.file_url).fetch()).data == V1
    assert (await fetcher(tmp_path, str(repo.path)).fetch()).data == V1


async def test_blob_over_the_size_limit(repo: GitRepo, tmp_path: Path) -> None:
    source = GitFetcher(
        GitTarget(repository=repo.file_url), workdir=tmp_path / "w", limits=FetchLimits(max_bytes=4)
    )
    with pytest.raises(SourceTooLargeError, match="larger than the 4 byte limit"):
        await source.fetch()


async def test_credentials_in_the_url_never_reach_messages(tmp_path: Path) -> None:
    url = "http://bot:hunter2@127.0.0.1:9/org/repo.git"
    with pytest.raises(SourceUnavailableError) as caught:
        await fetcher(tmp_path, url).fetch()
    assert "hunter2" not in str(caught.value)
    assert "127.0.0.1:9/org/repo.git" in str(caught.value)


@pytest.mark.parametrize(
    ("path", "ok"),
    [
        ("registry.json", b"registry.json"),
        ("./a/./b.json", b"a/b.json"),
        ("../registry.json", None),
        ("a/../../etc/passwd", None),
        ("/etc/passwd", None),
        ("", None),
        (".", None),
        ("a\\..\\b", None),
    ],
)
def test_repo_path_rejects_escapes(path: str, ok: bytes | None) -> None:
    if ok is None:
        with pytest.raises(SourceConfigError, match=r"inside the repository|does not name a file"):
            repo_path(path)
    else:
        assert repo_path(path) == ok


async def test_escaping_path_is_rejected_before_any_fetch(
    aiohttp_server: ServerFactory, repo: GitRepo, tmp_path: Path
) -> None:
    git, url = await serve(aiohttp_server, repo)
    with pytest.raises(SourceConfigError):
        await fetcher(tmp_path, url, path="../outside.json").fetch()
    assert git.ref_listings == 0
