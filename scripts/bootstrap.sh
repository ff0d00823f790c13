#!/usr/bin/env bash
# Installs what the two README commands need on a fresh Debian machine with Python 3.11:
# hatch (from PyPI) and, for the test suite (--for-tests), the PostgreSQL server binaries, kubectl
# (the local e2e tier drives the real one) and the shellcheck linter (Debian packages).
# Idempotent: each step is skipped when its tool is already present.
set -euo pipefail

for_tests="${1:-}"

if ! command -v hatch >/dev/null 2>&1; then
  echo "bootstrap: installing hatch" >&2
  python3 -m pip install --quiet --disable-pip-version-check "hatch==1.18.2"
fi

if [ "$for_tests" = "--for-tests" ]; then
  missing=()
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
  command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
  command -v kubectl >/dev/null 2>&1 || missing+=(kubernetes-client)  # the local e2e tier
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "bootstrap: installing ${missing[*]}" >&2
    if [ "$(id -u)" -ne 0 ]; then
      echo "bootstrap: installing ${missing[*]} needs root (apt-get install ${missing[*]})" >&2
      exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi
