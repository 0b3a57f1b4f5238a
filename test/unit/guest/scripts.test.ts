import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import type { Layer } from "../../../harness/config/index.ts";
import { shippedScenarios } from "../../shipped-scenarios.ts";
import {
  layerBuildScript,
  layerInspectCommand,
  layerTeardownScript,
  mountPointOf,
  parseLayerOutput,
  pressureStartCommand,
  PRESSURE_STOP_COMMAND,
  SNAPSHOT_COMMAND,
  cgroupSetupScript,
  sizeBytes,
  shQuote,
  stepScript,
  workloadDirs,
  type LayerOutput,
} from "../../../harness/guest/index.ts";

/** The guest's /bin/sh is dash, like the host's: `sh -n` parses a script without running it. */
async function syntaxOk(script: string): Promise<string> {
  const r = await execa("sh", ["-n", "-c", script], { reject: false, timeout: 10_000 });
  return r.exitCode === 0 ? "ok" : `${r.stderr}\n--- script ---\n${script}`;
}

/** Outputs a layer would print when built, for planning the next layers without a guest. */
function fakeOutput(layer: Layer, i: number): LayerOutput {
  const mnt = mountPointOf(layer);
  if (mnt) return { mnt, facts: {} };
  if (layer.type === "loop") return { dev: `/dev/loop${i}`, facts: {} };
  if (layer.type === "dm-thin") return { dev: `/dev/mapper/hangar-${layer.name}`, facts: { meta_loop: "/dev/loop8", data_loop: "/dev/loop9" } };
  return { path: `/mnt/x/${layer.name}.img`, facts: {} };
}

describe("guest scripts of every shipped scenario parse as POSIX sh", async () => {
  for (const sc of await shippedScenarios()) {
    it(sc.name, async () => {
      const outputs = new Map<string, LayerOutput>(sc.guest.disks.map((d, i) => [d.name, { dev: `/dev/vd${"bcd"[i]}`, facts: {} }]));
      for (const [i, layer] of sc.storage.entries()) {
        expect(await syntaxOk(layerBuildScript(layer, outputs.get(layer.on)!, i))).toBe("ok");
        const out = fakeOutput(layer, i);
        outputs.set(layer.name, out);
        expect(await syntaxOk(layerInspectCommand(layer, out))).toBe("ok");
        const down = layerTeardownScript(layer, out);
        if (down) expect(await syntaxOk(down)).toBe("ok");
      }
      const mounts = Object.fromEntries([...outputs].filter(([, o]) => o.mnt).map(([n, o]) => [n, o.mnt!]));
      for (const st of sc.steps) expect(await syntaxOk(stepScript(st, mounts))).toBe("ok");
      expect(await syntaxOk(pressureStartCommand(sc.pressure))).toBe("ok");
      if (sc.pressure?.cgroup) expect(await syntaxOk(cgroupSetupScript(sc.pressure.cgroup))).toBe("ok");
    });
  }
  it("snapshot and stop commands", async () => {
    expect(await syntaxOk(SNAPSHOT_COMMAND)).toBe("ok");
    expect(await syntaxOk(PRESSURE_STOP_COMMAND)).toBe("ok");
  });
});

describe("workload directories, made when the storage is built", () => {
  it("are the directories the workloads' scripts use (report 000's setup fills the filesystem after they exist)", async () => {
    const sc = (await shippedScenarios()).find((x) => x.name === "xfs-bmbt-split-rescuer")!;
    const mounts = { victim: "/mnt/hangar/victim" };
    const dirs = workloadDirs(sc.steps, mounts);
    expect(dirs).toEqual([
      "/mnt/hangar/victim/hangar-fio-dio-unwritten-conversion",
      "/mnt/hangar/victim/hangar-fio-sparse-dio-allocation",
      "/mnt/hangar/victim/hangar-write_flood-allocating-writers",
    ]);
    for (const d of dirs) expect(sc.steps.some((st) => st.phase === "workload" && stepScript(st, mounts).includes(`mkdir -p ${shQuote(d)}`)), d).toBe(true);
  });
});

describe("storage layer scripts", () => {
  const xfs: Layer = { name: "up", on: "lp", type: "xfs", mkfs: ["-d", "agcount=2"], options: "noatime" };
  it("quote what they are given and report outputs as key=value lines", () => {
    const s = layerBuildScript(xfs, { dev: "/dev/loop0", facts: {} }, 0);
    expect(s).toContain("mkfs.xfs -q -f -d agcount=2 /dev/loop0");
    expect(s).toContain("mount -t xfs -o noatime /dev/loop0 /mnt/hangar/up");
    expect(s).toContain('echo "hangar-layer: mnt=/mnt/hangar/up"');
    const loop = layerBuildScript({ name: "lp", on: "f", type: "loop", direct_io: true }, { path: "/mnt/a b/f.img", facts: {} }, 1);
    expect(loop).toContain("losetup --find --show --direct-io=on '/mnt/a b/f.img'");
    const thin = layerBuildScript(
      { name: "t", on: "low", type: "dm-thin", data_size: 1024, metadata_size: 64, virtual_size: 2048, block_kib: 64, no_space_timeout: 30_000, error_if_no_space: false },
      { mnt: "/mnt/low", facts: {} },
      2,
    );
    expect(thin).toContain('thin-pool $meta_dev $data_dev 128 0"');
    expect(thin).toContain("0 4194304 thin /dev/mapper/hangar-t-pool 0");
    expect(thin).toContain("echo 30 > /sys/module/dm_thin_pool/parameters/no_space_timeout");
  });

  it("nfs-localio exports the lower filesystem to 127.0.0.1 and proves localio by tracepoint", () => {
    const s = layerBuildScript({ name: "nfs", on: "exp", type: "nfs-localio", vers: "4.2", options: "" }, { mnt: "/mnt/hangar/exp", facts: {} }, 3);
    expect(s).toContain("/mnt/hangar/exp 127.0.0.1(rw,no_root_squash,no_subtree_check,insecure,fsid=103)");
    expect(s).toContain("mount -t nfs -o vers=4.2 127.0.0.1:/mnt/hangar/exp /mnt/hangar/nfs");
    expect(s).toContain("events/nfs/nfs_local_open_fh/enable");
    expect(s).toMatch(/localio=unsupported[\s\S]*localio_enabled \] && localio=not-in-use[\s\S]*localio=in-use/);
  });

  it("parses build output", () => {
    expect(parseLayerOutput("noise\nhangar-layer: dev=/dev/loop3\nhangar-layer: localio=in-use\n")).toEqual({ dev: "/dev/loop3", facts: { localio: "in-use" } });
  });

  it("sizes", () => {
    expect(sizeBytes("4k")).toBe(4096);
    expect(sizeBytes("256M")).toBe(256 << 20);
    expect(sizeBytes("1g")).toBe(1 << 30);
    expect(() => sizeBytes("1.5G")).toThrow();
  });
});

describe("workload scripts run for real (host sh, a temp directory)", () => {
  it("write_flood: parallel writers cycle through files until the duration is up, then report", async () => {
    const { mkdtemp, readdir, rm } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const mnt = await mkdtemp(join(tmpdir(), "hangar-flood-"));
    try {
      const script = stepScript(
        { name: "w", phase: "workload", mayFail: false, background: false, write_flood: { layer: "l", duration: 3000, writers: 2, size: "64k", bs: "4k", data: "compressible", fsync: true, files: 3 } },
        { l: mnt },
      );
      const t0 = Date.now();
      const r = await execa("sh", ["-eu", "-c", script], { reject: false, timeout: 20_000 });
      expect(r.exitCode, r.stderr).toBe(0);
      // Deadlines count whole seconds in the guest: 3 s means 2 to 3 s.
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1900);
      expect(r.stdout).toMatch(/writer 0: files written=[1-9]\d* failed=0/);
      expect(r.stdout).toMatch(/writer 1: files written=[1-9]\d* failed=0/);
      expect((await readdir(join(mnt, "hangar-write_flood-w"))).sort()).toEqual(["w0.0", "w0.1", "w0.2", "w1.0", "w1.1", "w1.2"]);
    } finally {
      await rm(mnt, { recursive: true, force: true });
    }
  });

  it("a workload whose tool fails on every pass fails the step with the tool's error", async () => {
    const { mkdtemp, writeFile, chmod, rm } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const dir = await mkdtemp(join(tmpdir(), "hangar-fail-"));
    try {
      // A stand-in fs_mark that always fails, first on PATH.
      await writeFile(join(dir, "fs_mark"), "#!/bin/sh\necho 'fs_mark: boom' >&2\nexit 1\n");
      await chmod(join(dir, "fs_mark"), 0o755);
      const script = stepScript(
        { name: "f", phase: "workload", mayFail: false, background: false, fsmark: { layer: "l", duration: 3000, threads: 1, files: 1, size: 0, dirs: 1, sync: 0, remove: true } },
        { l: dir },
      );
      const r = await execa("sh", ["-eu", "-c", script], { reject: false, timeout: 20_000, env: { PATH: `${dir}:${process.env.PATH}` } });
      expect(r.exitCode).toBe(1);
      expect(r.stdout).toMatch(/fsmark passes=0 failed=[1-9]/);
      expect(r.stderr).toMatch(/fsmark: no pass succeeded\nfs_mark: boom/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
