"""Desired state of an MCPRegistry as pure functions: server config and Kubernetes manifests."""
