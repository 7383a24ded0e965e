#!/usr/bin/env bash
# Berth vs dockerd benchmarks (see docs/benchmarks.md). Run as root after scripts/setup.sh.
# Writes the markdown table to stdout and to bench/results/<UTC date>.md.
# BENCH_RUNS, BENCH_CONTAINERS, BENCH_CONCURRENCY tune it (defaults 21, 100, 10).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench/run.sh: run as root" >&2; exit 1; }
command -v dockerd >/dev/null || { echo "bench/run.sh: dockerd missing (apt-get install docker.io, or scripts/setup.sh)" >&2; exit 1; }
[ -f dist/bench/bench.js ] || npx tsc -p . || true

mkdir -p bench/results
out=bench/results/$(date -u +%Y-%m-%dT%H%MZ).md
{
  echo "## $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(free -g | awk '/Mem:/{print $2}') GiB RAM, kernel $(uname -r), $(. /etc/os-release; echo "$PRETTY_NAME")."
  echo "dockerd $(dockerd --version | sed 's/Docker version //'), containerd $(containerd --version | awk '{print $3}'), runc $(runc --version | awk 'NR==1{print $3}'), conmon $(conmon --version | awk 'NR==1{print $3}'), node $(node --version)."
  echo
} >"$out"
BENCH_OUT="$out.table" node dist/bench/bench.js
cat "$out.table" >>"$out"
rm -f "$out.table"
echo "bench/run.sh: results in $out" >&2
