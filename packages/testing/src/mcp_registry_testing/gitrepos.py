"""Real git repositories for tests: built with dulwich, served over smart HTTP (optionally behind
HTTP basic auth) by dulwich's aiohttp app, with a count of the pack requests served, or over the
`git://` protocol by dulwich's TCP server."""

from __future__ import annotations

import base64
import binascii
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

from aiohttp import web
from dulwich import porcelain
from dulwich.aiohttp.server import create_repo_app
from dulwich.repo import Repo
from dulwich.server import BackendRepo, DictBackend, TCPGitServer

_AUTHOR = b"Registry Tests <tests@example.com>"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class GitRepo:
    """A non-bare repository on disk. `porcelain.init` names the first branch `master`."""

    path: Path

    @classmethod
    def init(cls, path: Path) -> GitRepo:
        path.mkdir(parents=True, exist_ok=True)
        porcelain.init(str(path))
        return cls(path)

    def commit(self, files: dict[str, bytes], message: str = "update") -> str:
        """Write `files` (relative paths), commit them on the current branch; the sha (hex)."""
        for name, content in files.items():
            target = self.path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        porcelain.add(str(self.path), [str(self.path / name) for name in files])
        sha = porcelain.commit(
            str(self.path), message=message.encode(), author=_AUTHOR, committer=_AUTHOR
        )
        return sha.decode()

    def remove(self, name: str, message: str = "remove") -> str:
        """Delete `name` from the work tree and the index, commit; the sha (hex)."""
        porcelain.remove(str(self.path), [str(self.path / name)])
        sha = porcelain.commit(
            str(self.path), message=message.encode(), author=_AUTHOR, committer=_AUTHOR
        )
        return sha.decode()

    def tag(self, name: str, *, annotated: bool = True) -> None:
        """Tag HEAD."""
        porcelain.tag_create(
            str(self.path), name.encode(), annotated=annotated, message=b"tag", author=_AUTHOR
        )

    def branch(self, name: str) -> None:
        """Create branch `name` at HEAD and switch to it."""
        porcelain.branch_create(str(self.path), name)
        porcelain.checkout(str(self.path), name)

    def checkout(self, name: str) -> None:
        """Switch to an existing branch."""
        porcelain.checkout(str(self.path), name)

    @property
    def file_url(self) -> str:
        return self.path.resolve().as_uri()


@dataclass
class GitHttpServer:
    """What the served app saw: pack requests (fetches) and info/refs requests (ls-remote)."""

    mount: str = "/org/repo.git"
    credentials: tuple[str, str] | None = None
    uploads: int = 0
    ref_listings: int = 0
    unauthorized: int = 0

    def app(self, repo: GitRepo) -> web.Application:
        """An app serving `repo` under `mount`, counting requests and checking credentials."""
        outer = web.Application(middlewares=[self._middleware])
        outer.add_subapp(self.mount + "/", create_repo_app(Repo(str(repo.path))))
        return outer

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if self.credentials is not None and not self._authorized(request):
            self.unauthorized += 1
            raise web.HTTPUnauthorized(headers={"WWW-Authenticate": 'Basic realm="git"'})
        if request.path.endswith("/git-upload-pack"):
            self.uploads += 1
        elif request.path.endswith("/info/refs"):
            self.ref_listings += 1
        return await handler(request)

    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(encoded, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        user, _, password = decoded.partition(":")
        return (user, password) == self.credentials


class GitDaemon:
    """`with GitDaemon(repo) as url:` serves `repo` at `git://127.0.0.1:<port>/repo.git`
    (dulwich's `git daemon`, on a thread of its own) until the block ends."""

    def __init__(self, repo: GitRepo, *, path: str = "/repo.git") -> None:
        repos: dict[str, BackendRepo] = {path: Repo(str(repo.path))}
        backend = DictBackend(repos)
        self._server = TCPGitServer(backend, "127.0.0.1", 0)
        self._thread = threading.Thread(target=self._server.serve_forever, name="git-daemon")
        self.url = f"git://127.0.0.1:{self._server.server_address[1]}{path}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
