"""kubernetes-asyncio is loaded only when a kubernetes source is configured: importing the
server app and building it with other sources never imports it."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from mcp_registry_common.config import load_server_config_data
from mcp_registry_server.app import create_apps
from mcp_registry_server.cli import build_parser
document = {
    "sources": [{"name": "m", "managed": {}}],
    "registries": [{"name": "r", "sources": ["m"]}],
    "auth": {"mode": "anonymous"},
}
create_apps(load_server_config_data(document).config)
loaded = sorted(m for m in sys.modules if m.startswith("kubernetes_asyncio"))
print(",".join(loaded) or "none")
"""


def test_the_server_app_does_not_import_kubernetes_asyncio() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "none", done.stdout
