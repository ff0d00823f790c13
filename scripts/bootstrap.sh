#!/usr/bin/env bash
# Installs what the two README commands need on a fresh Debian machine with Python 3.11:
# hatch (from PyPI) and, for the test suite, the PostgreSQL 15 server binaries.
# Idempotent: each step is skipped when its tool is already present.
set -euo pipefail

need_postgres="${1:-}"

if ! command -v hatch >/dev/null 2>&1; then
  echo "bootstrap: installing hatch" >&2
  python3 -m pip install --quiet --disable-pip-version-check "hatch==1.18.2"
fi

if [ "$need_postgres" = "--with-postgres" ]; then
  pg_bindir=""
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && pg_bindir="$d"
  done
  if [ -z "$pg_bindir" ]; then
    echo "bootstrap: installing PostgreSQL server packages" >&2
    if [ "$(id -u)" -ne 0 ]; then
      echo "bootstrap: PostgreSQL is missing and installing it needs root (apt-get install postgresql)" >&2
      exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
fi
