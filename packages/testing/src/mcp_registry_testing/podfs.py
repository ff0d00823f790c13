"""A pod's filesystem simulated in a directory: volumes materialised, container paths mapped.

ConfigMap and Secret volumes become files (their `items`, or every key) with the modes the
volume gives; emptyDirs become directories. A container's `volumeMounts` make a mount table
that maps any absolute container path onto the host: inside a mount to the volume's
directory, elsewhere to an (empty) image root, as a container that lacks the file would see.
Known init-container jobs are performed here (`run_init_container`).
"""

from __future__ import annotations

import base64
import binascii
import os
import posixpath
import re
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

ObjectReader = Callable[[str, str, str], Mapping[str, Any] | None]
"""(plural, namespace, name) -> the ConfigMap or Secret, or None when it does not exist."""
TokenSource = Callable[[str | None, int], str]
"""(audience or None for the API server's, expirationSeconds) -> a service-account token for
the pod (a real kubelet asks the TokenRequest API)."""
DEFAULT_MODE = 0o644
"""The API's defaultMode for configMap and secret volumes."""


class PodSetupError(RuntimeError):
    """The pod cannot start (a missing object or key, an unsupported volume or init job)."""


def materialise_volumes(
    volumes: Sequence[Mapping[str, Any]],
    *,
    namespace: str,
    root: Path,
    read: ObjectReader,
    pod: str = "",
    token: TokenSource | None = None,
) -> dict[str, Path]:
    """Create every volume under `root`; volume name -> its directory. `pod` and `token` serve
    projected volumes (the API server's ServiceAccount admission adds one to every pod)."""
    out: dict[str, Path] = {}
    for volume in volumes:
        name = volume["name"]
        target = root / name
        target.mkdir(parents=True, exist_ok=True)
        if "emptyDir" in volume:
            pass
        elif "configMap" in volume:
            source = volume["configMap"]
            data = _object_data("configmaps", source, namespace=namespace, read=read)
            _project(target, data, source, volume=name)
        elif "secret" in volume:
            source = dict(volume["secret"], name=volume["secret"].get("secretName"))
            data = _object_data("secrets", source, namespace=namespace, read=read)
            _project(target, data, source, volume=name)
        elif "projected" in volume:
            _projected(target, volume["projected"], namespace=namespace, pod=pod, read=read,
                       token=token, volume=name)  # fmt: skip
        else:
            kinds = sorted(k for k in volume if k != "name")
            raise PodSetupError(f"volume {name!r}: unsupported volume type {kinds}")
        out[name] = target
    return out


def _object_data(
    plural: str, source: Mapping[str, Any], *, namespace: str, read: ObjectReader
) -> dict[str, bytes] | None:
    """The object's keys as bytes; None when it is missing and the volume is optional."""
    obj = read(plural, namespace, source["name"])
    if obj is None:
        if source.get("optional"):
            return None
        raise PodSetupError(f"{plural[:-1]} {namespace}/{source['name']} not found")
    if plural == "configmaps":
        data = {k: v.encode() for k, v in (obj.get("data") or {}).items()}
        binary = obj.get("binaryData") or {}
    else:
        data, binary = {}, obj.get("data") or {}
    try:
        data.update({k: base64.b64decode(v, validate=True) for k, v in binary.items()})
    except binascii.Error as exc:
        raise PodSetupError(f"{plural[:-1]} {namespace}/{source['name']}: bad base64") from exc
    return data


def _project(
    target: Path, data: dict[str, bytes] | None, source: Mapping[str, Any], *, volume: str
) -> None:
    if data is None:
        return
    default_mode = int(source.get("defaultMode", DEFAULT_MODE))
    items = source.get("items")
    wanted = items if items is not None else [{"key": k, "path": k} for k in sorted(data)]
    for item in wanted:
        key = item["key"]
        if key not in data:
            if source.get("optional"):
                continue
            raise PodSetupError(f"volume {volume!r}: key {key!r} not found in {source['name']}")
        relative = PurePosixPath(item.get("path", key))
        if relative.is_absolute() or ".." in relative.parts:
            raise PodSetupError(f"volume {volume!r}: item path {str(relative)!r} escapes it")
        path = target.joinpath(*relative.parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data[key])
        path.chmod(int(item.get("mode", default_mode)))


def _projected(
    target: Path,
    source: Mapping[str, Any],
    *,
    namespace: str,
    pod: str,
    read: ObjectReader,
    token: TokenSource | None,
    volume: str,
) -> None:
    """A projected volume: service-account token, ConfigMap/Secret items, downward API."""
    default_mode = int(source.get("defaultMode", DEFAULT_MODE))
    for item in source.get("sources") or []:
        if "serviceAccountToken" in item:
            request = item["serviceAccountToken"]
            if token is None:
                raise PodSetupError(f"volume {volume!r}: no token source on this node")
            value = token(request.get("audience"), int(request.get("expirationSeconds", 3600)))
            data = {"token": value.encode()}
            _project(target, data, {"name": "token", "defaultMode": default_mode,
                                    "items": [{"key": "token", "path": request["path"]}]},
                     volume=volume)  # fmt: skip
        elif "configMap" in item or "secret" in item:
            plural, ref = ("configmaps", item["configMap"]) if "configMap" in item else (
                "secrets", item["secret"])  # fmt: skip
            found = _object_data(plural, ref, namespace=namespace, read=read)
            _project(target, found, {"defaultMode": default_mode, **ref}, volume=volume)
        elif "downwardAPI" in item:
            fields = {"metadata.namespace": namespace, "metadata.name": pod}
            for entry in item["downwardAPI"].get("items") or []:
                path = (entry.get("fieldRef") or {}).get("fieldPath")
                if path not in fields:
                    raise PodSetupError(f"volume {volume!r}: downward API field {path!r}")
                data = {"value": fields[path].encode()}
                _project(target, data, {"name": "downwardAPI", "defaultMode": default_mode,
                                        "items": [{"key": "value", "path": entry["path"]}]},
                         volume=volume)  # fmt: skip
        else:
            raise PodSetupError(f"volume {volume!r}: unsupported projection {sorted(item)}")


@dataclass(frozen=True)
class MountTable:
    """Container paths -> host paths for one container."""

    mounts: tuple[tuple[PurePosixPath, Path], ...]
    """(mountPath, host directory), longest mountPath first."""
    image_root: Path

    @classmethod
    def for_container(
        cls,
        container: Mapping[str, Any],
        volumes: Mapping[str, Path],
        *,
        image_root: Path,
        extra: Mapping[str, Path] | None = None,
    ) -> MountTable:
        """From `volumeMounts` (with subPath); `extra` adds mounts the kubelet makes itself."""
        pairs: list[tuple[PurePosixPath, Path]] = []
        for mount in container.get("volumeMounts") or []:
            name = mount["name"]
            if name not in volumes:
                raise PodSetupError(f"container {container['name']!r}: no volume {name!r}")
            host = volumes[name]
            if mount.get("subPath"):
                host = host.joinpath(*PurePosixPath(mount["subPath"]).parts)
            pairs.append((PurePosixPath(posixpath.normpath(mount["mountPath"])), host))
        for path, host in (extra or {}).items():
            pairs.append((PurePosixPath(path), host))
        pairs.sort(key=lambda pair: len(pair[0].parts), reverse=True)
        image_root.mkdir(parents=True, exist_ok=True)
        return cls(mounts=tuple(pairs), image_root=image_root)

    def mount_of(self, container_path: str) -> PurePosixPath | None:
        """The mountPath holding `container_path`, or None when it lies in the image."""
        path = PurePosixPath(posixpath.normpath(container_path))
        for mount, _ in self.mounts:
            if path == mount or mount in path.parents:
                return mount
        return None

    def host_path(self, container_path: str) -> Path:
        """Where `container_path` (absolute) lives on the host."""
        if not container_path.startswith("/"):
            raise ValueError(f"container path {container_path!r} is not absolute")
        path = PurePosixPath(posixpath.normpath(container_path))
        for mount, host in self.mounts:
            if path == mount or mount in path.parents:
                return host.joinpath(*path.relative_to(mount).parts)
        return self.image_root.joinpath(*path.parts[1:])


_COPY = re.compile(r"copyfile\(\s*'(?P<src>/[^']+)'\s*,\s*'(?P<dst>/[^']+)'\s*\)")
_CHMOD = re.compile(r"chmod\(\s*'(?P<path>/[^']+)'\s*,\s*0o(?P<mode>[0-7]+)\s*\)")


def copy_file_job(container: Mapping[str, Any], table: MountTable) -> None:
    """`python -c "...shutil.copyfile('/a', '/b'); os.chmod('/b', 0o600)"`: copy, then chmod."""
    script = " ".join([*(container.get("command") or []), *(container.get("args") or [])])
    copy = _COPY.search(script)
    if copy is None:
        raise PodSetupError(f"init container {container['name']!r}: no copyfile() to perform")
    source, target = table.host_path(copy["src"]), table.host_path(copy["dst"])
    try:
        shutil.copyfile(source, target)
    except OSError as exc:
        raise PodSetupError(f"init container {container['name']!r}: {exc}") from exc
    for chmod in _CHMOD.finditer(script):
        os.chmod(table.host_path(chmod["path"]), int(chmod["mode"], 8))


InitJob = Callable[[Mapping[str, Any], MountTable], None]
INIT_JOBS: dict[str, InitJob] = {"setup-pgpass": copy_file_job}
"""Init containers the double can perform, by name (their image is never run)."""


def run_init_container(
    container: Mapping[str, Any], volumes: Mapping[str, Path], *, image_root: Path
) -> None:
    """Perform a known init container's job with its own mount table."""
    job = INIT_JOBS.get(container["name"])
    if job is None:
        raise PodSetupError(
            f"init container {container['name']!r}: the node agent cannot simulate it"
        )
    job(container, MountTable.for_container(container, volumes, image_root=image_root))
