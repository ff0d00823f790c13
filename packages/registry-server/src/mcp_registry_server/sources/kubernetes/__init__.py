"""The `kubernetes` source: annotated MCPServer, VirtualMCPServer and MCPRemoteProxy objects,
listed and watched in the cluster. Only `settings` and `inventory` may be imported without a
kubernetes source configured: the other modules import kubernetes-asyncio."""
