"""Build an API client from the pod's service account (in cluster) or from a kubeconfig file."""

from __future__ import annotations

from kubernetes_asyncio import client, config


async def connect(*, in_cluster: bool, kubeconfig: str | None = None) -> client.ApiClient:
    """A new ApiClient with its own Configuration (the process-global default is left alone).

    `in_cluster` uses the mounted service-account token and CA (refreshed when rotated);
    otherwise `kubeconfig` (None: $KUBECONFIG or ~/.kube/config) and its current context.
    The caller closes the client.
    """
    if in_cluster:
        configuration = client.Configuration()
        config.load_incluster_config(  # type: ignore[no-untyped-call]
            client_configuration=configuration, try_refresh_token=True
        )
        return client.ApiClient(configuration)
    return await config.new_client_from_config(config_file=kubeconfig, persist_config=False)


def client_for(host: str) -> client.ApiClient:
    """A client for an unauthenticated API server at `host` (a local API double in tests and
    benchmarks)."""
    return client.ApiClient(client.Configuration(host=host))
