#!/bin/sh
# mmdebstrap customize hook ($1 = the chroot): bake every setting into the image, because
# guests use it read-only (QEMU snapshot=on) and nothing done inside a guest persists.
set -eu
root=$1
here=$(dirname "$(readlink -f "$0")")
overlay=$here/../overlay

# 1. Files: the overlay tree, owned by root, without touching existing directories' modes.
tar -C "$overlay" --owner=0 --group=0 --numeric-owner -cf - . | tar -C "$root" --no-overwrite-dir -xpf -
chmod 0755 "$root/usr/local/sbin/hangar-mark"

# 2. Root: no password (console login for debugging), SSH by key only (see sshd_config.d).
chroot "$root" passwd -d root >/dev/null
install -d -m 0700 "$root/root/.ssh"

# 3. SSH host keys: hangar's image builder replaces them with its own pinned ed25519 key
#    after this hook (see harness/image/build.ts); nothing to do here.
rm -f "$root/etc/motd"; : > "$root/etc/motd"
rm -f "$root"/etc/update-motd.d/* 2>/dev/null || true

# 4. systemd: boot straight to multi-user, network by networkd, nothing a test guest
#    does not need. Units are disabled (can still be started on demand, e.g.
#    `systemctl start nfs-server`) or masked (never wanted in a test guest).
sc() { systemctl --root="$root" --quiet "$@"; }
sc set-default multi-user.target
sc enable systemd-networkd.service systemd-networkd.socket ssh.service

# on demand only: NFS server/client and rpcbind, network-online waiting
for u in nfs-server.service rpcbind.service rpcbind.socket nfs-client.target nfs-blkmap.service \
         remote-fs.target systemd-networkd-wait-online.service; do
  sc disable "$u" 2>/dev/null || true
done

# never in a test guest: periodic jobs, consoles on VTs, persistence across boots, and
# first-boot / update jobs already done at build time
for u in apt-daily.timer apt-daily-upgrade.timer apt-daily.service apt-daily-upgrade.service \
         dpkg-db-backup.timer dpkg-db-backup.service man-db.timer man-db.service \
         logrotate.timer logrotate.service fstrim.timer fstrim.service \
         e2scrub_all.timer e2scrub_all.service e2scrub_reap.service \
         systemd-timesyncd.service getty@tty1.service \
         systemd-pstore.service systemd-binfmt.service proc-sys-fs-binfmt_misc.automount \
         proc-sys-fs-binfmt_misc.mount dev-hugepages.mount dev-mqueue.mount \
         systemd-journal-flush.service systemd-update-utmp.service systemd-update-utmp-runlevel.service \
         ldconfig.service systemd-hwdb-update.service systemd-update-done.service systemd-sysusers.service \
         systemd-journald-audit.socket getty-static.service systemd-network-generator.service \
         systemd-random-seed.service systemd-remount-fs.service systemd-modules-load.service \
         modprobe@drm.service modprobe@efi_pstore.service modprobe@dm_mod.service \
         modprobe@loop.service modprobe@fuse.service modprobe@configfs.service \
         sys-fs-fuse-connections.mount; do
  sc mask "$u"
done

# 5. Journal is volatile (journald.conf.d); drop what a build left behind.
rm -rf "$root/var/log/journal"
rm -f "$root/etc/machine-id"; : > "$root/etc/machine-id"
rm -rf "$root/var/lib/apt/lists/"* "$root/var/cache/apt/"*.bin
