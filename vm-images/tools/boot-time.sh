#!/bin/bash
# Measure boot-to-SSH-ready of a built image, with the QEMU command line vm/ uses.
# usage: vm-images/tools/boot-time.sh IMAGE_DIR [PORT (10022)] [EXTRA KERNEL ARGS...]
# Prints "ssh-ready <seconds>" and leaves the console log in $TMPDIR/hangar-boot-<port>/.
set -u
dir=$1; port=${2:-10022}; shift; [ $# -gt 0 ] && shift
extra="$*"
out=${TMPDIR:-/tmp}/hangar-boot-$port
mkdir -p "$out"; rm -f "$out/console.log"
t0=$(date +%s.%N)
timeout 300 qemu-system-x86_64 -machine q35 -accel tcg,thread=multi -cpu max -smp 2 -m 2048 -nodefaults -display none -no-reboot \
  -serial file:"$out/console.log" -kernel "$dir/vmlinuz" -initrd "$dir/initrd.img" \
  -append "root=/dev/vda rw console=ttyS0 panic=-1 net.ifnames=0 $extra" \
  -drive file="$dir/rootfs.ext4",if=virtio,format=raw,snapshot=on \
  -netdev user,id=n0,hostfwd=tcp:127.0.0.1:$port-:22 -device virtio-net-pci,netdev=n0 &
qpid=$!
trap 'kill $qpid 2>/dev/null; wait $qpid 2>/dev/null' EXIT
ok=0
# Wait for the SSH banner with short probes (a probe sent before the guest has its address
# can hang in QEMU's user network for seconds: start a new one instead), then log in.
for _ in $(seq 1 1200); do
  kill -0 $qpid 2>/dev/null || break
  if [ "$(timeout 1 bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"$port"'; head -c 4 <&3' 2>/dev/null)" = "SSH-" ]; then
    if timeout 20 ssh -q -i "$dir/id_ed25519" -o BatchMode=yes -o ConnectTimeout=10 -o StrictHostKeyChecking=no \
         -o UserKnownHostsFile=/dev/null -p "$port" root@127.0.0.1 true 2>/dev/null; then ok=1; break; fi
  fi
  sleep 0.2
done
t1=$(date +%s.%N)
if [ $ok = 1 ]; then
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "ssh-ready %.1f\n", b - a }'
  if [ -n "${HANGAR_BOOT_ANALYZE:-}" ]; then
    timeout 60 ssh -q -i "$dir/id_ed25519" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
      -p "$port" root@127.0.0.1 'systemd-analyze; systemd-analyze blame | head -15; systemd-analyze critical-chain systemd-networkd.service ssh.service; lsmod' || true
  fi
else
  echo "ssh-not-ready"; tail -20 "$out/console.log"; exit 1
fi
