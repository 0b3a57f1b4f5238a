import { describe, expect, it } from "vitest";
import { baseKernelArgs, buildQemuArgs, qemuEscape, type QemuSpec } from "../../../harness/vm/qemu-args.ts";

const spec: QemuSpec = {
  accel: "tcg",
  memoryMiB: 2048,
  cpus: 2,
  kernel: "/k/vmlinuz",
  initrd: "/k/initrd.img",
  append: "root=/dev/vda rw console=ttyS0",
  disks: [
    { path: "/img/root.ext4", id: "root", snapshot: true },
    { path: "/w/disk-scratch.img", id: "d-scratch" },
  ],
  consoleLog: "/w/console.log",
  qmpSocket: "/tmp/h/qmp.sock",
  sshPort: 40022,
};

/** The value following each occurrence of `flag`. */
const values = (args: string[], flag: string) => args.flatMap((a, i) => (a === flag ? [args[i + 1]!] : []));

describe("buildQemuArgs", () => {
  it("uses TCG with multi-threading and -cpu max", () => {
    const a = buildQemuArgs(spec);
    expect(values(a, "-accel")).toEqual(["tcg,thread=multi"]);
    expect(values(a, "-cpu")).toEqual(["max"]);
    expect(values(a, "-machine")).toEqual(["q35"]);
  });

  it("uses KVM with the host CPU", () => {
    const a = buildQemuArgs({ ...spec, accel: "kvm" });
    expect(values(a, "-machine")).toEqual(["q35,accel=kvm"]);
    expect(values(a, "-cpu")).toEqual(["host"]);
    expect(a).not.toContain("-accel");
  });

  it("boots the kernel directly, ends on panic, and has no default devices", () => {
    const a = buildQemuArgs(spec);
    expect(values(a, "-kernel")).toEqual(["/k/vmlinuz"]);
    expect(values(a, "-initrd")).toEqual(["/k/initrd.img"]);
    expect(values(a, "-append")).toEqual(["root=/dev/vda rw console=ttyS0"]);
    expect(a).toContain("-no-reboot");
    expect(a).toContain("-nodefaults");
    expect(values(a, "-m")).toEqual(["2048M"]);
    expect(values(a, "-smp")).toEqual(["2"]);
  });

  it("omits -initrd when there is none", () => {
    const { initrd: _, ...noInitrd } = spec;
    expect(buildQemuArgs(noInitrd)).not.toContain("-initrd");
  });

  it("opens the root image read-only with snapshot=on and scratch disks writable, root first", () => {
    const drives = values(buildQemuArgs(spec), "-drive");
    expect(drives[0]).toBe("file=/img/root.ext4,if=none,id=root,format=raw,cache=unsafe,snapshot=on");
    expect(drives[1]).toBe("file=/w/disk-scratch.img,if=none,id=d-scratch,format=raw,cache=unsafe");
    expect(values(buildQemuArgs(spec), "-device").filter((d) => d.startsWith("virtio-blk"))).toEqual([
      "virtio-blk-pci,drive=root,serial=root",
      "virtio-blk-pci,drive=d-scratch,serial=d-scratch",
    ]);
  });

  it("forwards SSH on 127.0.0.1 only, in a restricted user network", () => {
    const [netdev] = values(buildQemuArgs(spec), "-netdev");
    expect(netdev).toBe("user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:40022-:22");
  });

  it("writes the console to a file and serves QMP on a unix socket", () => {
    const a = buildQemuArgs(spec);
    expect(values(a, "-chardev")).toEqual(["file,id=con0,path=/w/console.log"]);
    expect(values(a, "-serial")).toEqual(["chardev:con0"]);
    expect(values(a, "-qmp")).toEqual(["unix:/tmp/h/qmp.sock,server=on,wait=off"]);
  });

  it("escapes commas in paths so they cannot inject QEMU options", () => {
    const a = buildQemuArgs({ ...spec, consoleLog: "/w/a,b.log", disks: [{ path: "/x,snapshot=off", id: "root" }] });
    expect(values(a, "-chardev")).toEqual(["file,id=con0,path=/w/a,,b.log"]);
    expect(values(a, "-drive")[0]).toBe("file=/x,,snapshot=off,if=none,id=root,format=raw,cache=unsafe");
    expect(qemuEscape("a,b,,c")).toBe("a,,b,,,,c");
  });

  it("rejects bad disk ids and resources", () => {
    expect(() => buildQemuArgs({ ...spec, disks: [{ path: "/x", id: "bad id" }] })).toThrow(/disk id/);
    expect(() => buildQemuArgs({ ...spec, cpus: 0 })).toThrow(/cpus/);
    expect(() => buildQemuArgs({ ...spec, memoryMiB: 10 })).toThrow(/memoryMiB/);
  });
});

describe("baseKernelArgs", () => {
  it("makes panics end QEMU and SysRq always available", () => {
    const a = baseKernelArgs({ rootDevice: "/dev/vda" });
    expect(a).toEqual(expect.arrayContaining(["root=/dev/vda", "panic=-1", "sysrq_always_enabled=1", "console=ttyS0,115200"]));
  });
});
