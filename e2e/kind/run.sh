#!/usr/bin/env bash
# The kind tier in one command. Needs docker, kind, kubectl and helm on PATH; builds both
# images, creates (or reuses) the kind cluster "mcp-registry-e2e", installs both charts and
# applies the self-contained seed manifests. E2E_KEEP_CLUSTER=1 keeps the cluster afterwards.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/bootstrap.sh
exec hatch run pytest -m kind e2e/kind "$@"
