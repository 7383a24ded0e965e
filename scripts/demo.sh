#!/usr/bin/env bash
# A short tour of Berth: starts a private berthd, makes a busybox image from the host's
# static busybox, runs a few containers with `berth`, and cleans everything up.
# Run as root after scripts/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD

[ "$(id -u)" = 0 ] || { echo "demo.sh: run as root" >&2; exit 1; }
[ -d dist/src ] || { echo "demo.sh: build first (bash scripts/setup.sh)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/berth-demo-XXXXXX)
SOCK=$WORK/berthd.sock
DAEMON_PID=""
export BERTH_HOST=unix://$SOCK

cleanup() {
  set +e
  if [ -n "$DAEMON_PID" ]; then
    node "$REPO/bin/berth" rm -f demo-web demo-created >/dev/null 2>&1
    kill -TERM "$DAEMON_PID" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$DAEMON_PID" 2>/dev/null
  fi
  # Anything the daemon left running (live-restore keeps containers up by design).
  if [ -d "$WORK/exec/runtime/runc" ]; then
    for id in $(runc --root "$WORK/exec/runtime/runc" list -q 2>/dev/null); do
      runc --root "$WORK/exec/runtime/runc" delete -f "$id" >/dev/null 2>&1
    done
  fi
  for pid in $(pgrep -f -- "$WORK" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
  grep -o " $WORK[^ ]*" /proc/self/mountinfo 2>/dev/null | sort -r | while read -r m; do umount -l "$m"; done
  rm -rf "$WORK"
}
trap cleanup EXIT

berth() { echo "+ berth $*" >&2; node "$REPO/bin/berth" "$@"; }

echo "== starting berthd (data root $WORK/data, socket $SOCK)"
node bin/berthd --data-root "$WORK/data" --exec-root "$WORK/exec" -H "unix://$SOCK" \
  --pidfile "$WORK/berthd.pid" --bridge none >"$WORK/berthd.log" 2>&1 &
DAEMON_PID=$!
for _ in $(seq 1 100); do
  [ -S "$SOCK" ] && node "$REPO/bin/berth" version >/dev/null 2>&1 && break
  kill -0 "$DAEMON_PID" 2>/dev/null || { echo "berthd exited:"; cat "$WORK/berthd.log"; exit 1; }
  sleep 0.2
done

echo "== making a busybox image from $(command -v busybox)"
ROOTFS=$WORK/rootfs
mkdir -p "$ROOTFS/bin" "$ROOTFS/etc" "$ROOTFS/tmp" "$ROOTFS/root"
cp "$(readlink -f "$(command -v busybox)")" "$ROOTFS/bin/busybox"
for applet in $("$ROOTFS/bin/busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$ROOTFS/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >"$ROOTFS/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$ROOTFS/etc/group"
tar --numeric-owner -C "$ROOTFS" -cf - . | berth import -c 'CMD ["sh"]' - busybox:latest
berth images

echo "== a one-shot container"
berth run --rm --network none busybox echo hello

echo "== a detached container, its logs, an exec into it, ps"
berth run -d --name demo-web --network none busybox sh -c 'i=0; while true; do echo "tick $i"; i=$((i+1)); sleep 0.5; done'
sleep 1.2
berth logs demo-web
berth exec demo-web sh -c 'echo "inside: $(hostname), pid 1 is $(cat /proc/1/comm)"'
berth ps
berth create --name demo-created --network none busybox true >/dev/null
berth ps -a --format 'table {{.Names}}\t{{.Status}}'

echo "== stop and clean up"
berth stop -t 1 demo-web
berth rm demo-web demo-created
berth rmi busybox:latest
echo "== demo done"
