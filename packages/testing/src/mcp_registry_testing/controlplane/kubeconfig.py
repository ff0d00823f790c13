"""Kubeconfig files for the test control plane: one cluster, one user (a client certificate
or a bearer token)."""

from __future__ import annotations

from pathlib import Path

import yaml

from mcp_registry_testing.controlplane.pki import ClientCert


def write_kubeconfig(
    path: Path,
    *,
    server: str,
    ca_cert: Path,
    client: ClientCert | None = None,
    token: str | None = None,
    namespace: str = "default",
) -> Path:
    """Write a kubeconfig naming `server` (trusting `ca_cert`) as `client` or with `token`."""
    if (client is None) == (token is None):
        raise ValueError("give exactly one of client= or token=")
    user: dict[str, str] = (
        {"token": token}
        if token is not None
        else {"client-certificate": str(client.cert), "client-key": str(client.key)}  # type: ignore[union-attr]
    )
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "controlplane",
                "cluster": {"server": server, "certificate-authority": str(ca_cert)},
            }
        ],
        "users": [{"name": "user", "user": user}],
        "contexts": [
            {
                "name": "controlplane",
                "context": {"cluster": "controlplane", "user": "user", "namespace": namespace},
            }
        ],
        "current-context": "controlplane",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config))
    path.chmod(0o600)
    return path
