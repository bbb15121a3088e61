#!/usr/bin/env bash
# Reproduces the figures of BENCHMARKS.md on this machine: builds classroomd
# and classroom-load, starts classroomd on loopback with a data dir of its own,
# creates the students, runs the levels (and, in the same run, the OpenSSH +
# python3 floor), then the login storm, and stops the server.
#
#   sudo scripts/bench.sh                      # 50,200,500 students; output in /tmp/classroom-bench
#   sudo LEVELS=50,200 HOLD=30s scripts/bench.sh
#   sudo WEB=1 scripts/bench.sh                # also the same levels through the browser's WebSocket bridge
#   sudo LEVELS= STORM=0 BURST=50 scripts/bench.sh  # only the start of a class (#13)
#
# Run it as root: students' programs then get the full sandbox (their own uid,
# cgroups), as in production. Results: $OUT/levels.txt, .json and .samples (every sample), $OUT/storm.txt
# and .json (with WEB=1 also $OUT/web.txt and .json), the server's log in $OUT/server.log.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${OUT:-/tmp/classroom-bench}
LEVELS=${LEVELS-50,200,500}   # empty: no levels
RAMP=${RAMP:-60s}
HOLD=${HOLD:-60s}
TYPING=${TYPING:-0.10}
CPU=${CPU:-0.05}
STORM=${STORM:-100}   # 0: no login storm
BURST=${BURST:-50}    # the start of a class (--burst), cold then warm, with the floor; 0: none
TIMEOUT=${TIMEOUT:-15s} # the longest wait for a screen or a login before it counts as an error
SSH_PORT=${SSH_PORT:-2422}
HTTP_PORT=${HTTP_PORT:-2480}
FLOOR=${FLOOR:-yes}
# WEB=1: after the SSH levels, the same levels through the web login and the
# WebSocket bridge. Each simulated browser then sends an X-Forwarded-For
# address of its own, which the server believes from 127.0.0.1 only with
# --trusted-proxy 127.0.0.1 (else its per-address login limit throttles them).
WEB=${WEB:-0}
web_flags=()
case "$WEB" in 1|yes) WEB=1; web_flags=(--trusted-proxy 127.0.0.1) ;; *) WEB=0 ;; esac
# A professor who opens the console during each hold (issue #7's figure).
PROFESSOR=${PROFESSOR-teacher}  # empty: no professor
# Students' uids are this plus their user id; keep it away from other servers'.
export CLASSROOMD_UID_BASE=${CLASSROOMD_UID_BASE:-500000}

if [ "$FLOOR" = yes ] && [ ! -x /usr/sbin/sshd ]; then
  echo "==> installing openssh-server for the floor (its service is not started)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-server >/dev/null
fi

mkdir -p "$OUT"
echo "==> building into $OUT ($(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . || echo ', with uncommitted changes'))"
go build -o "$OUT/classroomd" ./cmd/classroomd
go build -o "$OUT/classroom-load" ./cmd/classroom-load

# One password for every simulated student, in the environment only (never
# on a command line, which any user can read).
if [ -z "${CLASSROOM_LOAD_PASSWORD:-}" ]; then
  CLASSROOM_LOAD_PASSWORD="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
fi
export CLASSROOM_LOAD_PASSWORD

most=$(tr ',' '\n' <<<"${LEVELS:-0}" | sort -n | tail -1)
most=$(( most > STORM ? most : STORM ))
most=$(( most > BURST ? most : BURST ))
rm -rf "$OUT/data"
echo "==> creating $most students (bcrypt cost 10)"
"$OUT/classroom-load" --create-accounts "$most" --professor "$PROFESSOR" --classroomd "$OUT/classroomd" --data-dir "$OUT/data" >/dev/null

echo "==> starting classroomd on 127.0.0.1:$SSH_PORT"
# A short grace so that each level starts with no workspace of the one before;
# limits raised so that one loopback address may hold every student.
"$OUT/classroomd" serve --data-dir "$OUT/data" \
  --ssh-addr "127.0.0.1:$SSH_PORT" --http-addr "127.0.0.1:$HTTP_PORT" \
  --workspace-grace 5s --max-connections-per-ip $(( most * 2 )) --max-connections $(( most * 3 )) "${web_flags[@]}" \
  >"$OUT/server.out" 2>"$OUT/server.log" &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 600); do
  grep -q '"classroomd serving"' "$OUT/server.log" && break
  kill -0 $server 2>/dev/null || { echo "classroomd exited:"; cat "$OUT/server.log"; exit 1; }
  sleep 0.1
done

floor=()
[ "$FLOOR" = yes ] && floor=(--floor)
if [ -n "$LEVELS" ]; then
  echo "==> the levels $LEVELS${floor:+, then the floor}"
  "$OUT/classroom-load" --addr "127.0.0.1:$SSH_PORT" --server-pid $server \
    --students "$LEVELS" --ramp "$RAMP" --duration "$HOLD" --typing "$TYPING" --cpu "$CPU" --timeout "$TIMEOUT" --professor "$PROFESSOR" \
    "${floor[@]}" --json "$OUT/levels.json" --samples "$OUT/levels.samples" --verbose 2>"$OUT/levels.errors" | tee "$OUT/levels.txt"
fi

if [ "$BURST" -gt 0 ]; then
  # The start of a class: every login within a second, F4 and typing at once
  # (a key every 250 ms), not waiting for Python; cold, then the same
  # students warm; then the floor, the same way.
  echo "==> the start of a class: $BURST students within 1s, cold then warm${floor:+, then the floor}"
  "$OUT/classroom-load" --addr "127.0.0.1:$SSH_PORT" --server-pid $server --timeout 30s \
    --burst "$BURST" --burst-within 1s --key-interval 250ms --settle 20s \
    "${floor[@]}" --json "$OUT/burst.json" --verbose 2>"$OUT/burst.errors" | tee "$OUT/burst.txt"
fi

if [ "$WEB" = 1 ]; then
  echo "==> the levels $LEVELS through the browser's WebSocket bridge"
  "$OUT/classroom-load" --web "http://127.0.0.1:$HTTP_PORT" --server-pid $server \
    --students "$LEVELS" --ramp "$RAMP" --duration "$HOLD" --typing "$TYPING" --cpu "$CPU" --timeout "$TIMEOUT" --professor "$PROFESSOR" \
    --json "$OUT/web.json" --verbose 2>"$OUT/web.errors" | tee "$OUT/web.txt"
fi

# busy_percent prints how busy all CPUs were over the next second (/proc/stat).
busy_percent() {
  local a b
  read -ra a < <(head -1 /proc/stat); sleep 1; read -ra b < <(head -1 /proc/stat)
  local idle=$(( b[4] + b[5] - a[4] - a[5] )) total=0 i
  for i in 1 2 3 4 5 6 7 8; do total=$(( total + b[i] - a[i] )); done
  echo $(( total > 0 ? 100 * (total - idle) / total : 0 ))
}

if [ "$STORM" -gt 0 ]; then
  # The storm measures logins into a quiet server: wait (at most 3 min) for
  # the last level's sandboxes and the floor's sessions to finish ending.
  for _ in $(seq 180); do
    [ "$(busy_percent)" -lt 20 ] && break
  done
  echo "==> the login storm: $STORM students within 10s"
  "$OUT/classroom-load" --addr "127.0.0.1:$SSH_PORT" --server-pid $server --timeout "$TIMEOUT" \
    --login-storm "$STORM" --within 10s --json "$OUT/storm.json" --verbose 2>"$OUT/storm.errors" | tee "$OUT/storm.txt"
fi
