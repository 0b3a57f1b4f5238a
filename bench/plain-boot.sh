#!/usr/bin/env bash
# Baseline for the boot benchmark: start QEMU with the given argument file (one argument per
# line, as hangar built them), poll SSH every 0.2 s (2 s connect timeout) with the system ssh client, print the
# milliseconds from QEMU start to the first successful `true`. No hangar code involved.
set -u
argsfile=$1 port=$2 key=$3 deadline=${4:-300}
mapfile -t args < "$argsfile"
start=$(date +%s%N)
qemu-system-x86_64 "${args[@]}" >/dev/null 2>&1 &
qpid=$!
trap 'kill -9 $qpid 2>/dev/null; wait $qpid 2>/dev/null' EXIT
while :; do
  if ssh -i "$key" -p "$port" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
       -o LogLevel=ERROR -o ConnectTimeout=2 -o BatchMode=yes root@127.0.0.1 true 2>/dev/null; then
    echo $(( ($(date +%s%N) - start) / 1000000 ))
    exit 0
  fi
  if (( ($(date +%s%N) - start) / 1000000000 > deadline )); then echo "timeout" >&2; exit 1; fi
  kill -0 $qpid 2>/dev/null || { echo "qemu exited" >&2; exit 1; }
  sleep 0.2
done
