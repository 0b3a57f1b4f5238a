/** Pure QEMU command-line building. Everything a guest needs is described by QemuSpec. */

export type Accel = "kvm" | "tcg";

export interface QemuDisk {
  /** Host path of a raw image. */
  path: string;
  /** Short id; also the virtio serial, so the guest sees /dev/disk/by-id/virtio-<id>. */
  id: string;
  /** Open the image read-only with a throwaway overlay (the cached root image). */
  snapshot?: boolean;
}

export interface QemuSpec {
  accel: Accel;
  memoryMiB: number;
  cpus: number;
  kernel: string;
  initrd?: string;
  append: string;
  /** Root disk first (becomes /dev/vda), then scratch disks (vdb, vdc, …). */
  disks: QemuDisk[];
  /** The serial console is written to this file. */
  consoleLog: string;
  /** QMP control socket (unix path). */
  qmpSocket?: string;
  /** Host port forwarded to the guest's port 22 on 127.0.0.1. */
  sshPort?: number;
}

/** QEMU option values are comma-separated; a literal comma must be doubled. */
export function qemuEscape(value: string): string {
  return value.replace(/,/g, ",,");
}

export function buildQemuArgs(spec: QemuSpec): string[] {
  if (!Number.isInteger(spec.cpus) || spec.cpus < 1) throw new Error(`cpus must be a positive integer, got ${spec.cpus}`);
  if (!Number.isInteger(spec.memoryMiB) || spec.memoryMiB < 64) throw new Error(`memoryMiB must be at least 64, got ${spec.memoryMiB}`);
  const args: string[] = [
    "-machine", spec.accel === "kvm" ? "q35,accel=kvm" : "q35",
    ...(spec.accel === "tcg" ? ["-accel", "tcg,thread=multi"] : []),
    "-cpu", spec.accel === "kvm" ? "host" : "max",
    "-smp", String(spec.cpus),
    "-m", `${spec.memoryMiB}M`,
    "-nodefaults",
    "-no-user-config",
    "-display", "none",
    "-no-reboot",
    "-chardev", `file,id=con0,path=${qemuEscape(spec.consoleLog)}`,
    "-serial", "chardev:con0",
    "-kernel", spec.kernel,
    ...(spec.initrd ? ["-initrd", spec.initrd] : []),
    "-append", spec.append,
  ];
  for (const d of spec.disks) {
    if (!/^[a-zA-Z0-9_-]{1,20}$/.test(d.id)) throw new Error(`disk id must be 1-20 of [a-zA-Z0-9_-], got "${d.id}"`);
    args.push(
      "-drive", `file=${qemuEscape(d.path)},if=none,id=${d.id},format=raw,cache=unsafe${d.snapshot ? ",snapshot=on" : ""}`,
      "-device", `virtio-blk-pci,drive=${d.id},serial=${d.id}`,
    );
  }
  if (spec.sshPort !== undefined) {
    args.push(
      "-netdev", `user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:${spec.sshPort}-:22`,
      "-device", "virtio-net-pci,netdev=n0",
    );
  }
  if (spec.qmpSocket) args.push("-qmp", `unix:${qemuEscape(spec.qmpSocket)},server=on,wait=off`);
  return args;
}

/** Kernel command line every hangar guest gets, before image and scenario additions. */
export function baseKernelArgs(opts: { rootDevice?: string }): string[] {
  return [
    ...(opts.rootDevice ? [`root=${opts.rootDevice}`, "rw"] : []),
    "console=ttyS0,115200",
    // A panic ends QEMU at once (-no-reboot) instead of hanging or rebooting.
    "panic=-1",
    // sysrq w/t must work from QMP send-key even when SSH is dead.
    "sysrq_always_enabled=1",
    "printk.devkmsg=on",
    // Under TCG on a loaded host the IO-APIC timer check can fail and panic at boot
    // ("IO-APIC + timer doesn't work!"); the check proves nothing about an emulated board.
    "no_timer_check",
    "net.ifnames=0",
    // QEMU user networking always leases 10.0.2.15/24 via 10.0.2.2: images whose initrd
    // knows this argument configure eth0 before systemd, so SSH is up sooner.
    "hangar.ip=10.0.2.15/24:10.0.2.2",
  ];
}
