#!/usr/bin/env bash
# Installs and builds (scripts/setup.sh), then runs every suite with node's test runner:
#   unit         dist/test/unit/         no root, no daemon
#   integration  dist/test/integration/  real berthd in its own netns, via src/client
#   compat       dist/test/compat/       the real docker CLI (and berth) against berthd
# TARGET=docker runs integration and compat against a real dockerd instead.
# SUITES="unit compat" picks suites; SKIP_SETUP=1 skips setup.sh.
set -uo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "test.sh: warning: not root; the integration and compat suites start daemons and need root" >&2
fi

if [ "${SKIP_SETUP:-0}" != 1 ]; then
  bash scripts/setup.sh || exit 1
fi

SUITES=${SUITES:-"unit integration compat"}
# One test file at a time: each starts its own daemon(s); two cores are not enough for more.
CONCURRENCY=${TEST_CONCURRENCY:-1}
REPORTER=${TEST_REPORTER:-spec}
failed=()
summary=""
total_pass=0
total_fail=0
for suite in $SUITES; do
  dir="dist/test/$suite"
  if [ ! -d "$dir" ] || [ -z "$(find "$dir" -name '*.test.js' -print -quit)" ]; then
    echo "== $suite: no tests in $dir"
    continue
  fi
  echo "== $suite tests ($dir)"
  log=$(mktemp)
  node --test --test-concurrency="$CONCURRENCY" --test-reporter="$REPORTER" "$dir/" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  pass=$(grep -E '^ℹ pass [0-9]+' "$log" | tail -1 | awk '{print $3}')
  fail=$(grep -E '^ℹ fail [0-9]+' "$log" | tail -1 | awk '{print $3}')
  rm -f "$log"
  total_pass=$((total_pass + ${pass:-0}))
  total_fail=$((total_fail + ${fail:-0}))
  summary+=$(printf '%-12s pass %s, fail %s, exit %s' "$suite" "${pass:-?}" "${fail:-?}" "$rc")$'\n'
  [ "$rc" -ne 0 ] && failed+=("$suite")
done

echo
echo "== summary"
printf '%s' "$summary"
echo "total: $total_pass passed, $total_fail failed"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "all suites passed"
