#!/usr/bin/env bash
# Installs everything Berth needs on Debian 12, as root, and builds it. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "setup.sh: run as root (sudo bash scripts/setup.sh)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1
# runc + conmon run the containers; tini is the --init binary; iptables/iproute2 for
# networking; busybox-static for the demo and test image; util-linux gives `script`
# (a pty for `-t` tests); docker.io is only the comparison dockerd for tests and
# benchmarks; skopeo, docker-registry, openssl and attr are used by the image,
# registry and TLS tests; docker-compose (v1) is a client the compat tests drive;
# zstd, xz-utils and bzip2 decompress layers and imports.
PKGS=(runc conmon tini iptables iproute2 busybox-static util-linux tar ca-certificates
      docker.io skopeo docker-registry docker-compose openssl attr procps psmisc python3 hyperfine openssh-server
      zstd xz-utils bzip2)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup.sh: installing ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Debian docker.io package starts its own dockerd on /run/docker.sock; Berth's
# tests and benchmarks start private dockerd instances instead and leave that one alone.

if [ ! -x /usr/local/bin/docker ]; then
  echo "setup.sh: note: /usr/local/bin/docker (docker CLI 28) is missing; compat tests" \
       "fall back to $(command -v docker || echo 'no docker CLI')" >&2
fi

# npm ci wipes node_modules and rebuilds better-sqlite3 (about a minute): only when the
# lock file changed since the last install or the native module does not load.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] \
   || ! node -e "require('better-sqlite3')" 2>/dev/null; then
  if ! npm ci --no-audit --no-fund --loglevel=error 2>/tmp/berth-npm-ci.err; then
    # A lock file out of step with package.json makes `npm ci` refuse; install from
    # package.json without rewriting either file, and say so.
    echo "setup.sh: warning: npm ci failed ($(grep -m1 -E 'npm error (Missing|`npm ci`)' /tmp/berth-npm-ci.err || tail -1 /tmp/berth-npm-ci.err)); using npm install --no-save" >&2
    npm install --no-save --no-audit --no-fund --loglevel=error
  fi
  rm -f /tmp/berth-npm-ci.err
fi

# Type errors fail the build; BERTH_ALLOW_TYPE_ERRORS=1 keeps the emitted JavaScript anyway
# (useful while several people change the tree at once).
if ! npm run build --silent; then
  if [ "${BERTH_ALLOW_TYPE_ERRORS:-0}" = 1 ]; then
    echo "setup.sh: warning: tsc reported type errors (kept the emitted dist/)" >&2
  else
    echo "setup.sh: build failed" >&2
    exit 1
  fi
fi
echo "setup.sh: done"
