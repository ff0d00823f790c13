"""`python -m mcp_registry_operator`: the same command as `mcp-registry-operator`."""

import sys

from mcp_registry_operator.cli import main

sys.exit(main())
