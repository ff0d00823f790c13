"""The pod simulation on what the operator really renders (its golden objects): volumes with
their modes, the pgpass init job, paths and cluster hosts mapped, the command line built."""

from __future__ import annotations

import base64
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml
from mcp_registry_testing.podfs import MountTable, PodSetupError, materialise_volumes
from mcp_registry_testing.pods import NodeRuntime, PortAllocator, prepare_pod

REPO = Path(__file__).resolve().parents[3]
GOLDEN = REPO / "packages" / "operator" / "tests" / "golden"
SERVER = "/opt/venv/bin/mcp-registry-server"
DB_HOST = ("postgres.database.svc.cluster.local", 5432)


INTERNAL_TOKEN = "golden-internal-token-0123456789abcdefghijklmno"
"""The token the golden files are rendered with (the Secret itself is created at run time)."""


def golden(seed: str) -> dict[tuple[str, str], dict[str, Any]]:
    """The seed's golden objects, and the internal-token Secret the operator creates once."""
    docs = yaml.safe_load_all((GOLDEN / seed / "objects.yaml").read_text())
    objects = {(d["kind"], d["metadata"]["name"]): d for d in docs if d}
    registry = deployment(objects)["metadata"]["labels"]["app.kubernetes.io/instance"]
    token = {"token": base64.b64encode(INTERNAL_TOKEN.encode()).decode()}
    objects[("Secret", f"{registry}-internal-token")] = {"data": token}
    return objects


def runtime(objects: dict[tuple[str, str], dict[str, Any]], **extra: Any) -> NodeRuntime:
    kinds = {"configmaps": "ConfigMap", "secrets": "Secret"}

    def read(plural: str, namespace: str, name: str) -> dict[str, Any] | None:
        return objects.get((kinds[plural], name))

    def hosts(host: str, port: int) -> tuple[str, int] | None:
        return ("127.0.0.1", 15432) if (host, port) == DB_HOST else None

    return NodeRuntime(
        read=read,
        hosts=hosts,
        entrypoint=(SERVER,),
        port_flags={8080: "--address", 8081: "--internal-address"},
        base_env={"PATH": "/usr/bin"},
        **extra,
    )


def deployment(objects: dict[tuple[str, str], dict[str, Any]]) -> dict[str, Any]:
    (found,) = [obj for (kind, _), obj in objects.items() if kind == "Deployment"]
    return found


def test_database_seed_pod_gets_a_private_pgpass_pointing_at_loopback(tmp_path: Path) -> None:
    objects = golden("08-database")
    pod = prepare_pod(
        deployment(objects)["spec"]["template"],
        namespace="default",
        name="production-registry-api-1",
        directory=tmp_path,
        runtime=runtime(objects),
        ports=PortAllocator(),
    )
    pgpass = Path(pod.env["PGPASSFILE"])
    assert pgpass.is_relative_to(tmp_path)
    assert stat.S_IMODE(pgpass.stat().st_mode) == 0o600  # the init job's chmod
    assert pgpass.read_text().splitlines() == [
        r"127.0.0.1:15432:registry:db_app:app\:pass\\word",
        "127.0.0.1:15432:registry:db_migrator:migrator-secret",
    ]
    secret_copy = tmp_path / "volumes" / "pgpass-secret" / ".pgpass"
    assert stat.S_IMODE(secret_copy.stat().st_mode) == 0o440  # defaultMode 288
    config = yaml.safe_load((tmp_path / "config.rewritten.yaml").read_text())
    assert (config["database"]["host"], config["database"]["port"]) == ("127.0.0.1", 15432)
    assert config["database"]["sslMode"] == "verify-full"  # nothing else changes
    assert [str(r) for r in pod.rewrites] == [
        "database.host: postgres.database.svc.cluster.local -> 127.0.0.1",
        "database.port: 5432 -> 15432",
    ]


def test_command_line_maps_the_config_and_moves_both_listeners(tmp_path: Path) -> None:
    objects = golden("03-private-git")
    token = {"token": base64.b64encode(b"tok\n").decode()}
    objects[("Secret", "git-credentials")] = {"data": token}
    pod = prepare_pod(
        deployment(objects)["spec"]["template"],
        namespace="default",
        name="private-registry-api-1",
        directory=tmp_path,
        runtime=runtime(objects),
        ports=PortAllocator(),
    )
    api, internal = pod.ports[8080], pod.ports[8081]
    assert pod.argv == [
        SERVER,
        "serve",
        f"--config={tmp_path / 'config.rewritten.yaml'}",
        f"--address=127.0.0.1:{api}",
        f"--internal-address=127.0.0.1:{internal}",
    ]
    assert pod.ports["http"] == api
    assert pod.probe == (internal, "/readiness")
    config = yaml.safe_load((tmp_path / "config.rewritten.yaml").read_text())
    password_file = Path(config["sources"][0]["git"]["auth"]["passwordFile"])
    assert password_file == tmp_path / "volumes" / "secret-git-credentials-fccf9beb" / "token"
    assert password_file.read_bytes() == b"tok\n"
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o440


def test_the_internal_token_file_is_mapped_and_named_in_the_environment(tmp_path: Path) -> None:
    objects = golden("12-anonymous")
    pod = prepare_pod(
        deployment(objects)["spec"]["template"],
        namespace="default",
        name="registry-api-1",
        directory=tmp_path,
        runtime=runtime(objects),
        ports=PortAllocator(),
    )
    token_file = Path(pod.env["MCP_REGISTRY_INTERNAL_TOKEN_FILE"])
    assert token_file == tmp_path / "volumes" / "internal-token" / "token"
    assert token_file.read_text() == INTERNAL_TOKEN
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o440


def test_a_missing_referenced_secret_keeps_the_pod_from_starting(tmp_path: Path) -> None:
    objects = golden("03-private-git")
    with pytest.raises(PodSetupError, match="secret default/git-credentials not found"):
        prepare_pod(
            deployment(objects)["spec"]["template"],
            namespace="default",
            name="p-1",
            directory=tmp_path,
            runtime=runtime(objects),
            ports=PortAllocator(),
        )


def test_volume_items_modes_and_optional_objects(tmp_path: Path) -> None:
    data = {"a": base64.b64encode(b"A").decode(), "b": base64.b64encode(b"B").decode()}
    objects = {("secrets", "s"): {"data": data}, ("configmaps", "c"): {"data": {"x.json": "{}"}}}
    volumes = [
        {"name": "sec", "secret": {"secretName": "s", "defaultMode": 0o400,
                                   "items": [{"key": "a", "path": "dir/a", "mode": 0o600}]}},
        {"name": "cm", "configMap": {"name": "c"}},
        {"name": "gone", "configMap": {"name": "nope", "optional": True}},
        {"name": "scratch", "emptyDir": {}},
    ]  # fmt: skip
    dirs = materialise_volumes(
        volumes, namespace="ns", root=tmp_path, read=lambda p, ns, n: objects.get((p, n))
    )
    assert (dirs["sec"] / "dir" / "a").read_bytes() == b"A"
    assert stat.S_IMODE((dirs["sec"] / "dir" / "a").stat().st_mode) == 0o600
    assert not (dirs["sec"] / "b").exists()  # items select keys
    assert stat.S_IMODE((dirs["cm"] / "x.json").stat().st_mode) == 0o644
    assert list(dirs["gone"].iterdir()) == []
    assert dirs["scratch"].is_dir()


def test_mount_table_prefers_the_longest_mount_and_falls_back_to_the_image(
    tmp_path: Path,
) -> None:
    container = {
        "name": "c",
        "volumeMounts": [
            {"name": "outer", "mountPath": "/data"},
            {"name": "inner", "mountPath": "/data/inner", "subPath": "sub"},
        ],
    }
    table = MountTable.for_container(
        container,
        {"outer": tmp_path / "o", "inner": tmp_path / "i"},
        image_root=tmp_path / "image",
    )
    assert table.host_path("/data/x") == tmp_path / "o" / "x"
    assert table.host_path("/data/inner/y") == tmp_path / "i" / "sub" / "y"
    assert table.host_path("/data/inner/../z") == tmp_path / "o" / "z"
    assert table.host_path("/etc/ssl/ca.pem") == tmp_path / "image" / "etc" / "ssl" / "ca.pem"
    assert table.mount_of("/etc/ssl/ca.pem") is None
    with pytest.raises(ValueError, match="not absolute"):
        table.host_path("relative/path")
