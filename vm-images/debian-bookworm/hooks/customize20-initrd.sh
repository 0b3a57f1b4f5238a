#!/bin/sh
# mmdebstrap customize hook ($1 = the chroot): replace initramfs-tools' initrd with a tiny
# one (static busybox, the virtio disk and NIC modules, ../initrd/init). initramfs-tools' version stays
# in /boot as initrd.img-VERSION.initramfs-tools. Uses only tools from the image.
set -eu
root=$1
here=$(dirname "$(readlink -f "$0")")
for vmlinuz in "$root"/boot/vmlinuz-*; do
  v=${vmlinuz##*/vmlinuz-}
  stage=/tmp/hangar-initrd
  rm -rf "$root$stage"
  mkdir -p "$root$stage/bin" "$root$stage/dev" "$root$stage/proc" "$root$stage/sys" "$root$stage/modules" "$root$stage/newroot"
  cp "$root/bin/busybox" "$root$stage/bin/busybox"
  install -m 0755 "$here/../initrd/init" "$root$stage/init"
  mknod -m 600 "$root$stage/dev/console" c 5 1
  mknod -m 666 "$root$stage/dev/null" c 1 3
  # Modules in dependency order, as modprobe would load them.
  chroot "$root" modprobe -S "$v" --show-depends -a virtio_pci virtio_blk virtio_net |
    while read -r cmd path args; do
      [ "$cmd" = insmod ] || continue
      name=${path##*/}
      grep -q "^$name " "$root$stage/modules/order" 2>/dev/null && continue
      cp "$root$path" "$root$stage/modules/$name"
      echo "$name $args" >> "$root$stage/modules/order"
    done
  test -s "$root$stage/modules/order"
  chroot "$root" sh -c 'cd /tmp/hangar-initrd && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1 > /tmp/hangar-initrd.img'
  if [ -e "$root/boot/initrd.img-$v" ]; then mv "$root/boot/initrd.img-$v" "$root/boot/initrd.img-$v.initramfs-tools"; fi
  mv "$root/tmp/hangar-initrd.img" "$root/boot/initrd.img-$v"
  rm -rf "$root$stage"
  echo "hangar: initrd for $v: $(wc -c < "$root/boot/initrd.img-$v") bytes"
done
