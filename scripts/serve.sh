#!/usr/bin/env bash
# Runs the registry server on its embedded default: in-memory store, the bundled sample
# registry (a file source), anonymous access. Prints where it listens. Extra arguments go to
# `mcp-registry-server serve` (e.g. --config my-config.yaml, --address 127.0.0.1:9090).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec hatch run serve "$@"
