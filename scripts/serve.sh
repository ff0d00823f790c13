#!/usr/bin/env bash
# Runs the registry server on its embedded default: in-memory store, the bundled sample
# registry (a file source), anonymous access, listening on 127.0.0.1 only. Prints where it
# listens and URLs to paste. Extra arguments go to `mcp-registry-server serve` (e.g.
# --config my-config.yaml, --address 127.0.0.1:9090).
#
# It runs from a runtime-only environment, .venv-serve (the common library, the server and
# their dependencies: about 60 MB, no development tools), made with uv and reused until a
# pyproject.toml changes. The server replaces this script's process, so SIGTERM to the
# script's PID or Ctrl-C stops the server cleanly (exit 0).
#
# Relative paths in the arguments (and in the config) are read from the directory it is run in.
set -euo pipefail
root="$(cd -P "$(dirname "$0")/.." && pwd -P)"

venv="$root/.venv-serve"
want="$(cat "$root/packages/common/pyproject.toml" "$root/packages/registry-server/pyproject.toml" | sha256sum | cut -c1-16)"
if [[ ! -x "$venv/bin/mcp-registry-server" || "$(cat "$venv/.installed" 2>/dev/null)" != "$want" ]]; then
  if ! python3 -m uv --version >/dev/null 2>&1; then
    echo "serve: installing uv" >&2
    python3 -m pip install --quiet --disable-pip-version-check "uv==0.13.9"
  fi
  echo "serve: preparing $venv (the server and its dependencies)" >&2
  python3 -m uv venv --quiet --allow-existing --python python3 "$venv"
  python3 -m uv pip install --quiet --python "$venv/bin/python" \
    -e "$root/packages/common" -e "$root/packages/registry-server"
  echo "$want" >"$venv/.installed"
fi
exec "$venv/bin/mcp-registry-server" serve "$@"
