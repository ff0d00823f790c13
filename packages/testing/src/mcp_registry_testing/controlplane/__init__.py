"""The real Kubernetes control plane for the e2e tiers: build, PKI, processes, a REST client,
informers and the node agent."""
