import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { EventBus } from "../../harness/common/index.ts";
import type { AttemptResult, BootPlan } from "../../harness/run/index.ts";
import { loadScenario } from "../../harness/config/index.ts";
import { realBootPlan, scenarioAttempt, workload } from "./setup.ts";

// The five report scenarios, each in a real guest at a tenth of its workload duration: the
// stack is built layer by layer (and checked), pressure is applied and measured, and the
// attempt gets a verdict. Scenarios the kernel cannot serve must come out `skipped`.
let plan: BootPlan;
let bus: EventBus;
beforeAll(async () => {
  ({ plan, bus } = await realBootPlan());
}, 40 * 60_000);

const attempt = (name: string): Promise<AttemptResult> => scenarioAttempt(plan, bus, name, 0.1);

/** The attempt came out as the scenario declares (`expect.outcome`), not merely judged. */
async function expectDeclared(r: AttemptResult): Promise<void> {
  const sc = await loadScenario(workload(`${r.scenario}.yaml`));
  expect(r.verdict, `${r.reason ?? ""} ${r.reports.map((x) => x.title).join("; ")}`).toBe(sc.expect.outcome);
}

/** Every layer was built, inspected and taken down again; returns layer name → inspect output. */
function checkStack(r: AttemptResult, expected: string[]): Record<string, string> {
  expect(r.storage.map((l) => `${l.name}:${l.type}`)).toEqual(expected);
  const inspect: Record<string, string> = {};
  for (const l of r.storage) {
    expect(l.built, `${l.name}: ${l.error}`).toBe(true);
    expect(l.inspect, l.name).toBeTruthy();
    if (l.teardown) expect(l.teardown.ok, `${l.name} teardown: ${l.teardown.error}`).toBe(true);
    inspect[l.name] = l.inspect!;
  }
  return inspect;
}

/** Pressure was asked for and measured: reclaim or stalls, samples taken during the workload. */
function checkPressure(r: AttemptResult): void {
  expect(r.pressure, "pressure evidence").toBeDefined();
  const e = r.pressure!;
  expect(e.asked).toBe(true);
  expect(e.shown, JSON.stringify(e)).toBe(true);
  expect(e.samples).toBeGreaterThan(2);
  expect((e.psi?.someStallMs ?? 0) + e.vmstat.pgscan_kswapd! + e.vmstat.pgscan_direct! + (e.cgroup?.events.max ?? 0) + (e.cgroup?.events.high ?? 0)).toBeGreaterThan(0);
}

const PER_SCENARIO_MS = 12 * 60_000;

describe("report scenarios in real guests (short durations)", () => {
  it("xfs-bmbt-split-rescuer: one usable AG, DIO (unwritten and sparse) + allocating writers under severe pressure", async () => {
    const r = await attempt("xfs-bmbt-split-rescuer");
    await expectDeclared(r);
    const inspect = checkStack(r, ["victim:xfs"]);
    expect(inspect.victim).toMatch(/agcount=2/);
    checkPressure(r);
    expect(r.pressure!.cgroup, "the writers ran in the pressure cgroup").toBeDefined();
    // One usable AG: AG 1 filled, a few hundred MiB freed in AG 0 only.
    const ag = r.steps.find((s) => s.name === "one-usable-ag")!;
    expect(Number(/punched (\d+) MiB in AG 0/.exec(ag.stdoutTail)?.[1] ?? 0), ag.stdoutTail).toBeGreaterThanOrEqual(100);
    expect(r.steps.find((s) => s.name === "dio-unwritten-conversion")?.stdoutTail).toMatch(/fio passes=[1-9]/);
  }, PER_SCENARIO_MS);

  it("xfs-inodegc-shrinker-scrub: skipped without online scrub, else churn + scrub under kswapd pressure", async () => {
    const r = await attempt("xfs-inodegc-shrinker-scrub");
    if (r.verdict === "skipped") {
      expect(r.reason).toMatch(/lacks CONFIG_XFS_ONLINE_SCRUB/);
      expect(r.missingOptions).toContain("CONFIG_XFS_ONLINE_SCRUB");
      expect(r.storage).toEqual([]);
      return;
    }
    await expectDeclared(r);
    checkStack(r, ["churn:xfs"]);
    checkPressure(r);
    expect(r.steps.find((s) => s.name === "online-repair")?.stdoutTail).toMatch(/xfs_scrub passes=[1-9]/);
  }, PER_SCENARIO_MS);

  it("xfs-dmthin-loop-reclaim: XFS on dm-thin on loop on XFS, fsync-heavy writes under pressure", async () => {
    const r = await attempt("xfs-dmthin-loop-reclaim");
    await expectDeclared(r);
    const inspect = checkStack(r, ["lower:xfs", "thin:dm-thin", "lower-nearly-full:fill", "upper:xfs"]);
    expect(inspect.thin).toMatch(/thin-pool 7:\d+ 7:\d+ 128/);
    expect(inspect.upper).toMatch(/^\/dev\/mapper\/hangar-thin \/mnt\/hangar\/upper xfs/m);
    const thin = r.storage.find((l) => l.name === "thin")!;
    expect(thin.output?.facts.no_space_timeout).toBe("30");
    checkPressure(r);
  }, PER_SCENARIO_MS);

  it("btrfs-zstd-on-btrfs-loop: compress-force=zstd Btrfs on loop on compress-force=zstd Btrfs", async () => {
    const r = await attempt("btrfs-zstd-on-btrfs-loop");
    await expectDeclared(r);
    const inspect = checkStack(r, ["lower:btrfs", "image:file", "loop:loop", "upper:btrfs"]);
    expect(inspect.lower).toMatch(/btrfs .*compress-force=zstd/);
    expect(inspect.upper).toMatch(/^\/dev\/loop\d+ \/mnt\/hangar\/upper btrfs .*compress-force=zstd/m);
    expect(inspect.loop).toMatch(/\/mnt\/hangar\/lower\/image\.img/);
    checkPressure(r);
  }, PER_SCENARIO_MS);

  it("nfs-localio-xfs-enospc: NFS v4.2 from 127.0.0.1 over XFS near ENOSPC; localio in use when the kernel has it", async () => {
    const r = await attempt("nfs-localio-xfs-enospc");
    await expectDeclared(r);
    const inspect = checkStack(r, ["export:xfs", "near-full:fill", "nfs:nfs-localio"]);
    expect(inspect.nfs).toMatch(/^127\.0\.0\.1:\/mnt\/hangar\/export \/mnt\/hangar\/nfs nfs4 .*vers=4\.2/m);
    expect(Number(r.storage[1]!.output?.facts.use_percent)).toBeGreaterThanOrEqual(85);
    const localio = r.storage[2]!.output!.facts.localio;
    const config = plan.kernel.config ? await readFile(plan.kernel.config, "utf8").catch(() => "") : "";
    if (/^CONFIG_NFS_LOCALIO=y/m.test(config)) expect(localio).toBe("in-use");
    else expect(localio).toBe("unsupported");
    // The writers hit ENOSPC on every pass.
    expect(r.steps.find((s) => s.name === "enospc-writers")?.stdoutTail).toMatch(/enospc=[1-9]/);
    checkPressure(r);
    expect(JSON.parse(await readFile(join(r.dir, "storage.json"), "utf8"))).toHaveLength(3);
  }, PER_SCENARIO_MS);
});
