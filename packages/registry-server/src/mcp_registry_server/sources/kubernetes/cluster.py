"""Connect to the cluster (service account in a pod, else a kubeconfig) and name the server's
own namespace. Imports kubernetes-asyncio: loaded only when a kubernetes source is configured."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kubernetes_asyncio import client, config
from kubernetes_asyncio.config import kube_config

SERVICE_ACCOUNT_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
MAX_NAMESPACE_FILE = 256


@dataclass(frozen=True, slots=True)
class Cluster:
    """An API client and the namespace the server runs in (the caller closes `api`)."""

    api: client.ApiClient
    namespace: str


async def connect(kubeconfig: str | None) -> Cluster:
    """In cluster (`kubeconfig` None): the pod's service account and its namespace file.
    Otherwise the kubeconfig's current context and its namespace (`default` when unset).
    Raises `ClusterConfigError` naming what is missing."""
    if kubeconfig is None:
        configuration = client.Configuration()
        try:
            config.load_incluster_config(  # type: ignore[no-untyped-call]
                client_configuration=configuration, try_refresh_token=True
            )
        except config.ConfigException as exc:
            raise ClusterConfigError(
                f"not in a cluster ({exc}); run in a pod or pass --kubeconfig"
            ) from None
        return Cluster(client.ApiClient(configuration), _own_namespace(SERVICE_ACCOUNT_NAMESPACE))
    try:
        _, current = kube_config.list_kube_config_contexts(config_file=kubeconfig)
        api = await config.new_client_from_config(config_file=kubeconfig, persist_config=False)
    except (OSError, config.ConfigException) as exc:
        raise ClusterConfigError(f"kubeconfig {kubeconfig}: {exc}") from None
    namespace = ((current or {}).get("context") or {}).get("namespace") or "default"
    return Cluster(api, str(namespace))


class ClusterConfigError(Exception):
    """The cluster cannot be reached with the configuration given."""


def _own_namespace(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_NAMESPACE_FILE + 1)
    except OSError as exc:
        raise ClusterConfigError(f"cannot read the pod's namespace: {exc}") from None
    if len(raw) > MAX_NAMESPACE_FILE:
        raise ClusterConfigError(f"{path} exceeds {MAX_NAMESPACE_FILE} bytes")
    return raw.decode().strip()
