"""The API double and the real kube-apiserver give the same answers to the same calls
(`conformance.py` has the cases). Where they differ, the double is fixed, or refuses loudly
(501 NotImplemented) what it does not support, so that a test passing on the double means
what it says."""

from __future__ import annotations

import contextlib
import functools
from typing import Any

import pytest
import yaml
from mcp_registry_testing.controlplane.client import Credentials, KubeClient, KubeError
from mcp_registry_testing.controlplane.cluster import ControlPlane
from mcp_registry_testing.crd_admission import admit
from mcp_registry_testing.kubeapi import KubeApiDouble

from .conformance import CASES
from .conftest import CRD_FILE, ConformanceTable, unique_namespace

pytestmark = pytest.mark.controlplane
CRD = yaml.safe_load(CRD_FILE.read_text())


async def _run(kube: KubeClient, name: str, namespace: str) -> Any:
    try:
        await kube.create("/api/v1/namespaces", {"metadata": {"name": namespace}})
        return await CASES[name](kube, namespace)
    except KubeError as exc:
        return {"error": exc.code, "reason": exc.reason}
    finally:
        # Leave nothing behind for the tests that share the cluster (the namespace controller
        # removes what the case created, pods included).
        with contextlib.suppress(KubeError):
            await kube.delete(f"/api/v1/namespaces/{namespace}")


@pytest.mark.parametrize("name", sorted(CASES))
async def test_the_double_answers_as_the_real_api_server_does(
    name: str, cluster_with_crd: ControlPlane, conformance_table: ConformanceTable
) -> None:
    namespace = unique_namespace("conformance")
    async with cluster_with_crd.client() as kube:
        real = await _run(kube, name, namespace)
    crd_name = CRD["metadata"]["name"]
    admission = {crd_name: functools.partial(admit, CRD)}
    async with KubeApiDouble(crds=[CRD], admit=admission) as api:
        credentials = Credentials(server=api.url, token="conformance")
        async with KubeClient(credentials) as kube:
            double = await _run(kube, name, namespace)
    conformance_table.add(name, double, real)
    if isinstance(double, dict) and double.get("error") == 501:
        return  # the double refuses loudly what it cannot answer as the real server does
    assert double == real
