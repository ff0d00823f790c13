#!/usr/bin/env bash
# The whole test suite: lint (ruff, mypy --strict on common, import contracts) then pytest
# (unit, integration and the local e2e tier; the kind tier is opt-in with `-m kind`).
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k filters`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh --for-tests
# The real Kubernetes control plane for the `controlplane` tier, built from Kubernetes' Go modules
# (needs Go; about 11 minutes the first time on 2 cores, then reused from its cache). Built here,
# not in a test fixture, so no test's timeout covers a first build.
bash e2e/controlplane/build.sh >/dev/null

hatch run lint

set +e
hatch run test "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  # pytest: no tests collected. A full run always collects tests, so this is a broken
  # selection or layout, never a pass.
  echo "test.sh: pytest collected no tests (exit 5)" >&2
  exit 1
fi
exit "$rc"
