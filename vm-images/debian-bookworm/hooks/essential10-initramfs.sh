#!/bin/sh
# mmdebstrap essential hook ($1 = the chroot), run before the kernel and initramfs-tools are
# installed, so the initrd is generated once, small: only the modules needed to find the
# root disk (ext4 is built into the cloud kernel; virtio_blk and virtio_pci are modules).
set -eu
root=$1
mkdir -p "$root/etc/initramfs-tools/conf.d" "$root/usr/share/initramfs-tools/modules.d"
cat > "$root/etc/initramfs-tools/conf.d/hangar.conf" <<'CONF'
# hangar: a small initrd for a known virtual machine (QEMU q35, virtio disk)
MODULES=list
COMPRESS=zstd
RESUME=none
CONF
cat > "$root/usr/share/initramfs-tools/modules.d/hangar.conf" <<'MODS'
virtio_pci
virtio_blk
MODS
