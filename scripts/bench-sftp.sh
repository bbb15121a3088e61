#!/usr/bin/env bash
# SFTP throughput (#17): SIZE_MB up and then down with OpenSSH's sftp client,
# RUNS times each, against
#   1. classroomd's subsystem (pkg/sftp over internal/files), serve on loopback;
#   2. OpenSSH's /usr/lib/openssh/sftp-server behind a throwaway sshd on
#      loopback (same client, same cipher, same file, same disk);
#   3. the same sftp-server with no SSH at all (sftp -D): the file server's
#      own ceiling, without the encryption both of the others pay.
# Needs root (the sshd and its user), openssh-server and openssh-sftp-server.
# Prints one line per transfer: what, direction, seconds, MB/s.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-2}
SIZE_MB=${SIZE_MB:-100}
CIPHER=${CIPHER:-aes128-gcm@openssh.com}
SFTP_SERVER=/usr/lib/openssh/sftp-server
BENCH_USER=sftpbench

W=$(mktemp -d /var/tmp/bench-sftp.XXXXXX)
chmod 755 "$W" # the bench user reads its authorized_keys here
pids=()
made_user=
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "$made_user" ] && userdel "$BENCH_USER" 2>/dev/null
  rm -rf "$W"
}
trap cleanup EXIT

go build -o "$W/classroomd" ./cmd/classroomd
head -c "$((SIZE_MB * 1000000))" /dev/urandom >"$W/big.bin"
ssh-keygen -q -t ed25519 -N '' -f "$W/id"
opts=(-F /dev/null -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o LogLevel=error
  -o "Ciphers=$CIPHER" -o BatchMode=no -i "$W/id")

# timed LABEL DIRECTION sftp-args...: one batch of one command, timed.
timed() {
  local label=$1 dir=$2
  shift 2
  local t0 t1
  t0=$(date +%s.%N)
  sftp -q "$@" >/dev/null
  t1=$(date +%s.%N)
  awk -v l="$label" -v d="$dir" -v a="$t0" -v b="$t1" -v mb="$SIZE_MB" \
    'BEGIN { s = b - a; printf "%-34s %-5s %6.2f s %7.1f MB/s\n", l, d, s, mb / s }'
}

round() { # label, sftp args before the batch, destination
  local label=$1 dest=$2
  shift 2
  printf 'put %s/big.bin big.bin\n' "$W" >"$W/put"
  printf 'get big.bin %s/back.bin\n' "$W" >"$W/get"
  for i in $(seq "$RUNS"); do
    timed "$label" up "$@" -b "$W/put" $dest
    timed "$label" down "$@" -b "$W/get" $dest
    cmp -s "$W/big.bin" "$W/back.bin" || { echo "$label: the file came back different" >&2; exit 1; }
    rm -f "$W/back.bin"
  done
}

# 1. classroomd
D="$W/data"
printf 'bench sends bytes 42\n' | "$W/classroomd" user add benchy --password-stdin --data-dir "$D" --bcrypt-cost 4 >/dev/null
"$W/classroomd" serve --data-dir "$D" --ssh-addr 127.0.0.1:0 --http-addr 127.0.0.1:0 \
  --home-quota-mib $((SIZE_MB * 3)) 2>"$W/serve.log" &
pids+=($!)
for _ in $(seq 100); do grep -q '"classroomd serving"' "$W/serve.log" && break; sleep 0.1; done
port=$(grep -o '"ssh":"127.0.0.1:[0-9]*"' "$W/serve.log" | grep -o '[0-9]*"$' | tr -d '"')
printf '#!/bin/sh\necho "bench sends bytes 42"\n' >"$W/askpass" && chmod 700 "$W/askpass"
SSH_ASKPASS="$W/askpass" SSH_ASKPASS_REQUIRE=force \
  ssh "${opts[@]}" -o PubkeyAuthentication=no -p "$port" benchy@127.0.0.1 keys add <"$W/id.pub" >/dev/null
round "classroomd (pkg/sftp, internal/files)" benchy@127.0.0.1 "${opts[@]}" -P "$port"

# 2. OpenSSH: sshd on loopback, a user with /bin/sh (root's shell startup
# would be timed too), its home in the same folder.
id "$BENCH_USER" >/dev/null 2>&1 || { useradd -M -d "$W/ob" -s /bin/sh "$BENCH_USER" && made_user=yes; }
usermod -d "$W/ob" -p '*' "$BENCH_USER" # an unlocked password field, or sshd refuses even keys
mkdir -p "$W/ob" /run/sshd && chown "$BENCH_USER" "$W/ob"
cp "$W/id.pub" "$W/authorized_keys"
ssh-keygen -q -t ed25519 -N '' -f "$W/hostkey"
oport=$((20000 + RANDOM % 20000))
cat >"$W/sshd_config" <<EOF
Port $oport
ListenAddress 127.0.0.1
HostKey $W/hostkey
PidFile $W/sshd.pid
AuthorizedKeysFile $W/authorized_keys
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
Subsystem sftp $SFTP_SERVER
EOF
/usr/sbin/sshd -D -e -f "$W/sshd_config" 2>"$W/sshd.log" &
pids+=($!)
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$oport) 2>/dev/null && break; sleep 0.1; done
(cd "$W/ob" && round "OpenSSH sshd + sftp-server" "$BENCH_USER@127.0.0.1" "${opts[@]}" -P "$oport")

# 3. sftp-server without SSH.
(cd "$W/ob" && round "sftp-server, no SSH (sftp -D)" "" -D "$SFTP_SERVER")
