import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, loadScenario } from "../../../harness/config/index.ts";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function load(body: string) {
  const dir = await mkdtemp(join(tmpdir(), "hangar-stack-"));
  dirs.push(dir);
  const f = join(dir, "s.yaml");
  await writeFile(f, `name: s\nguest:\n  disks:\n    - name: scratch\n      size: 1G\n${body}\nexpect:\n  outcome: clean\n  signatures: []\n`);
  return loadScenario(f);
}
async function problems(body: string): Promise<string> {
  const err = await load(body).catch((e) => e);
  expect(err).toBeInstanceOf(ConfigError);
  return (err as ConfigError).message;
}
const shell = "steps:\n  - name: s\n    run: 'true'\n";

describe("storage, pressure and workload steps in YAML", () => {
  it("parses a full stack with units", async () => {
    const s = await load(`storage:
  - {name: lower, type: xfs, on: scratch, mkfs: ["-d", "agcount=2"]}
  - {name: thin, type: dm-thin, on: lower, data_size: 1G, virtual_size: 2G, no_space_timeout: 30s}
  - {name: upper, type: xfs, on: thin, options: "noatime"}
  - {name: img, type: file, on: upper, size: 512M, nocow: true}
  - {name: lp, type: loop, on: img, direct_io: true}
  - {name: b, type: btrfs, on: lp, options: compress-force=zstd}
  - {name: nfs, type: nfs-localio, on: b}
  - {name: full, type: fill, on: nfs, percent: 95}
pressure:
  cgroup: {memory_max: 256M, memory_high: 200M}
  hogs: {workers: 2, bytes: 40%}
  drop_caches: {every: 2s}
  dirty_bytes: 8M
steps:
  - name: dio
    fio: {layer: upper, duration: 2m, jobs: 2, size: 64M}
  - name: scrub
    background: true
    xfs_scrub: {layer: upper, mode: repair}
`);
    expect(s.storage[1]).toMatchObject({ type: "dm-thin", data_size: 1024, virtual_size: 2048, no_space_timeout: 30_000, metadata_size: 64, block_kib: 64 });
    expect(s.storage[4]).toMatchObject({ type: "loop", direct_io: true });
    expect(s.pressure).toMatchObject({ cgroup: { memory_max: 256, memory_high: 200 }, hogs: { workers: 2, bytes: "40%", keep: true }, drop_caches: { every: 2000, mode: 3 }, dirty_bytes: 8 });
    expect(s.steps[0]!.fio).toMatchObject({ duration: 120_000, jobs: 2, size: "64M", bs: "4k", direct: true, fallocate: "native" });
    expect(s.steps[1]).toMatchObject({ background: true, xfs_scrub: { mode: "repair", duration: 60_000 } });
  });

  it("defaults of duration fields are in the same units as written values", async () => {
    const s = await load(`storage:\n  - {name: a, type: xfs, on: scratch}\nsteps:\n  - name: w\n    fsmark: {layer: a}\n`);
    expect(s.cooldown).toBe(5_000);
    expect(s.deadline).toBe(600_000);
    expect(s.steps[0]!.fsmark!.duration).toBe(60_000);
  });

  it("names the layer whose `on` is unknown or of the wrong kind", async () => {
    expect(await problems(`storage:\n  - {name: up, type: xfs, on: nowhere}\n${shell}`)).toMatch(/storage\[0\]\.on \(line \d+\): "nowhere" is not a disk or an earlier layer \(known: scratch\)/);
    expect(await problems(`storage:\n  - {name: a, type: xfs, on: scratch}\n  - {name: b, type: loop, on: a}\n${shell}`)).toMatch(
      /storage\[1\]\.on.*a loop layer needs a file \(a file layer\); "a" gives a filesystem/,
    );
    expect(await problems(`storage:\n  - {name: a, type: xfs, on: scratch}\n  - {name: scratch, type: fill, on: a, percent: 5}\n${shell}`)).toMatch(
      /storage\[1\]\.name.*"scratch" is already the name of a disk or an earlier layer/,
    );
  });

  it("says which layer types exist and which fields a layer takes", async () => {
    expect(await problems(`storage:\n  - {name: a, type: ext4, on: scratch}\n${shell}`)).toMatch(/storage\[0\]\.type/);
    expect(await problems(`storage:\n  - {name: a, type: xfs, on: scratch, mkfss: []}\n${shell}`)).toMatch(/unknown field "mkfss"; did you mean "mkfs"\?.*Expected one of: name, on, type, mkfs, options, at/);
  });

  it("checks that workloads run on filesystem layers and cgroup steps have a cgroup", async () => {
    expect(await problems(`storage:\n  - {name: a, type: xfs, on: scratch}\n  - {name: f, type: file, on: a, size: 1G}\nsteps:\n  - name: w\n    fio: {layer: f}\n`)).toMatch(
      /steps\[0\]\.fio\.layer.*a fio workload needs a filesystem.*"f" gives a file/,
    );
    expect(await problems(`steps:\n  - name: w\n    write_flood: {layer: ghost}\n`)).toMatch(/steps\[0\]\.write_flood\.layer.*"ghost" is not a storage layer/);
    expect(await problems(`steps:\n  - name: w\n    cgroup: true\n    run: 'true'\n`)).toMatch(/steps\[0\]\.cgroup.*needs pressure\.cgroup/);
  });

  it("a step has exactly one of run or a workload; hogs exactly one of bytes or leave", async () => {
    expect(await problems(`storage:\n  - {name: a, type: xfs, on: scratch}\nsteps:\n  - name: w\n    run: 'true'\n    fio: {layer: a}\n`)).toMatch(/exactly one of: run, fio, fsmark/);
    expect(await problems(`steps:\n  - name: w\n    timeout: 5s\n`)).toMatch(/exactly one of/);
    expect(await problems(`pressure:\n  hogs: {bytes: 40%, leave: 100M}\n${shell}`)).toMatch(/pressure\.hogs.*exactly one of bytes or leave/);
    expect(await problems(`pressure:\n  hogs: {bytes: lots}\n${shell}`)).toMatch(/pressure\.hogs\.bytes.*share of RAM/);
    expect(await problems(`pressure:\n  cgroup: {swap_max: 0M}\n${shell}`)).toMatch(/pressure\.cgroup/);
  });
});
