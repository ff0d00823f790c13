"""The MCPRegistry controller: the reconciler and the pure decisions it is made of."""
