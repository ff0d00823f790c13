"""Every manifest of the seed page, applied together, reconciles to a Ready registry."""

from __future__ import annotations

from pathlib import Path

from mcp_registry_testing.waiting import wait_for

from .operator_harness import (
    SEED,
    FakeServers,
    create,
    deployment_controller,
    double,
    operator,
    seed,
    seed_secrets,
    status,
)

REGISTRY_DATA = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "registry-data", "namespace": "default"},
    "data": {"registry.json": '{"servers": []}'},
}


STEMS = sorted(p.stem for p in Path(SEED).glob("*.yaml"))


async def test_every_seed_manifest_reconciles_to_ready() -> None:
    stems = STEMS
    assert len(stems) == 13
    async with double() as kube, FakeServers(kube) as fake, deployment_controller(kube):
        create(kube, REGISTRY_DATA)  # 04-configmap expects it to exist already
        async with operator(kube, fake):
            for stem in stems:
                for obj in seed_secrets(stem):
                    create(kube, obj)
                create(kube, seed(stem, name=f"seed-{stem[:2]}"))
            names = [f"seed-{stem[:2]}" for stem in stems]

            def phases() -> dict[str, str]:
                return {n: str(status(kube, "default", n).get("phase")) for n in names}

            await wait_for(lambda: set(phases().values()) == {"Ready"}, 20.0, message=f"{phases()}")
