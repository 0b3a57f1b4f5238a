/**
 * `hangar nightly --redis`: the night's matrix through a real redis-server and two real worker
 * processes (the real worker code; the guest is the scripted fake machine, fixtures.ts), against
 * the same night run locally with the same fake script. Both nights compare with the same
 * baseline night, so the comparison (a regression on the kernel that gained the bug), the
 * night record, JUnit and the history page are checked too. The queue, Redis, the kernel
 * artifacts and the job ids are real.
 */
import { cp, mkdir, readFile, readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { EventBus } from "../../../harness/common/index.ts";
import { farmStatus, openFarmExecutor } from "../../../harness/farm/index.ts";
import { checkNightlyInputs, parseKernelSpecs, runNightly, type NightSummary } from "../../../harness/nightly/index.ts";
import { runAttempt } from "../../../harness/run/index.ts";
import { BAD_KERNEL_MARKER, farmMachineFactory, fakePlan, fakeScenario, pathPlan, spawnWorker } from "./fixtures.ts";
import { farmBed, workersReady } from "./bed.ts";

const bed = farmBed("hangar-farm-nightly-");

const WATCHDOG = { heartbeatEveryMs: 200, heartbeatTimeoutMs: 2_000, misses: 3 };
// nightly-module asks for a test module no fake kernel has: skipped before any boot, on every kernel.
const scenarios = [fakeScenario("nightly-work", "work", { attempts: 2 }), fakeScenario("nightly-clean", "clean"), fakeScenario("nightly-module", "clean", { attempts: 3, kernel: { modules: ["hangar_lockdep_abba"] } })];
// The boot plan of each kernel without building an image (the same on the coordinator and locally).
const prepare = async (x: { kernelPath?: string }) => (x.kernelPath ? pathPlan(x.kernelPath) : fakePlan());

async function bzImage(name: string, bad: boolean): Promise<string> {
  const dir = join(bed.root, "kernels", name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "bzImage"), `fake bzImage ${name}\n${bad ? BAD_KERNEL_MARKER : ""}\n`);
  return join(dir, "bzImage");
}

/** What the two nights must agree on: every cell's state, counts, signature changes, and the verdict. */
const nightView = (n: NightSummary) => ({
  exitCode: n.exitCode,
  baseline: n.baseline,
  counts: n.counts,
  regressions: n.regressions,
  kernels: n.kernels.map((k) => ({ key: k.key, version: k.version })),
  cells: n.cells.map((c) => ({ kernel: c.kernel, scenario: c.scenario, state: c.state, reason: c.reason, cell: c.cell, changes: c.changes })),
});

describe("hangar nightly on the farm", () => {
  it("the matrix through two workers gives the night a local run gives: cells, comparison, record and pages", async () => {
    // A long job lock: on a loaded host a short one can expire mid-attempt and the job run again elsewhere (farm.test.ts covers that), which this test counts as a duplicate.
    for (const name of ["nw1", "nw2"]) {
      const w = spawnWorker({ url: bed.redis.url, name, cache: join(bed.root, `cache-${name}`), lockMs: 30_000 });
      bed.workers.push(w);
    }
    const good = await bzImage("good", false);
    const bad = await bzImage("bad", true);
    const local = join(bed.root, "local");
    const onFarm = join(bed.root, "farm");

    // The baseline night, locally: "stable" is the good kernel.
    const localAttempt = (o: Parameters<typeof runAttempt>[0]) => runAttempt({ ...o, machineFactory: farmMachineFactory(), watchdog: WATCHDOG });
    const night = async (results: string, kernels: string[], o: { executor?: typeof localAttempt; jobs?: number } = {}) =>
      runNightly({
        suite: "farm-nightly",
        scenarios,
        kernels: parseKernelSpecs(kernels),
        results,
        jobs: o.jobs ?? 1,
        accel: "tcg",
        inputs: await checkNightlyInputs({ results, baseline: "latest" }),
        bus: new EventBus(),
        prepare,
        executor: o.executor ?? localAttempt,
      });
    const first = await night(local, ["debian", `stable=${good}`]);
    expect(first.summary.exitCode, JSON.stringify(nightView(first.summary))).toBe(0);
    await cp(local, onFarm, { recursive: true });

    // The next night: "stable" now boots the kernel with the bug. Locally, then through the farm.
    const localNight = (await night(local, ["debian", `stable=${bad}`])).summary;
    await workersReady(bed.workers);
    const events: string[] = [];
    const sink = new EventBus();
    sink.on((e) => events.push(e.type === "log" || e.type === "progress" ? e.message : ""));
    const farm = await openFarmExecutor({ target: bed.target, sink, root: onFarm, pollMs: 100, accel: "tcg" });
    let farmNight: NightSummary;
    try {
      farmNight = (
        await runNightly({
          suite: "farm-nightly",
          scenarios,
          kernels: parseKernelSpecs(["debian", `stable=${bad}`]),
          results: onFarm,
          jobs: Infinity,
          accel: "tcg",
          inputs: await checkNightlyInputs({ results: onFarm, baseline: "latest" }),
          bus: sink,
          prepare,
          executor: farm.execute,
        })
      ).summary;
    } finally {
      await farm.close({ removeCollected: true });
    }

    // The same night: a regression on "stable" (a new hung-task signature in every attempt), the rest unchanged.
    expect(nightView(farmNight), `farm ${JSON.stringify(nightView(farmNight))}`).toEqual(nightView(localNight));
    expect(localNight.exitCode).toBe(1);
    expect(localNight.regressions.map((r) => `${r.kernel}/${r.scenario}`)).toEqual(["stable/nightly-work"]);
    const work = farmNight.cells.find((c) => c.kernel === "stable" && c.scenario === "nightly-work")!;
    expect(work).toMatchObject({ state: "regression", cell: { judged: 2, reported: 2 } });
    // All three attempts of the skipped cell ran at once on the farm; as locally, the night keeps the first.
    expect(farmNight.cells.find((c) => c.kernel === "stable" && c.scenario === "nightly-module")).toMatchObject({ state: "skipped", cell: { skipped: 1, judged: 0 } });

    // Every attempt was one job, its id naming the night, the kernel, the scenario and the attempt; all queued at once.
    const booted = ["debian", "stable"].flatMap((k) => ["nightly-work/attempt-1", "nightly-work/attempt-2", "nightly-clean/attempt-1"].map((a) => `${farmNight.runId}/${k}/${a}`));
    const skipped = ["debian", "stable"].flatMap((k) => [1, 2, 3].map((a) => `${farmNight.runId}/${k}/nightly-module/attempt-${a}`));
    expect([...farm.enqueued].sort()).toEqual([...booted, ...skipped].sort());
    expect(events.filter((m) => /attempt\(s\) queued/.test(m))).toEqual([`farm ${bed.target.display}: 12 attempt(s) queued`]);
    // Both workers ran attempts; each attempt ran once (a machine made for it, booted or not); the logs came back into the night's tree.
    const boots = bed.workers.flatMap((w) => [...w.output().matchAll(/^fake-machine (.+)-try\d+-[0-9a-f]{6}$/gm)].map((m) => [w.name, m[1]!] as const));
    expect(boots.map(([, id]) => id).sort()).toEqual([...booted, ...skipped].map((id) => id.replace(/[^A-Za-z0-9._-]/g, "_")).sort());
    expect(new Set(boots.map(([w]) => w))).toEqual(new Set(["nw1", "nw2"]));
    const attempt = join(onFarm, farmNight.runId, "stable", "nightly-work", "attempt-1");
    expect(await readFile(join(attempt, "console.log"), "utf8")).toMatch(/blocked for more than/);
    expect(JSON.parse(await readFile(join(attempt, "verdict.json"), "utf8")).farm).toMatchObject({ jobId: `${farmNight.runId}/stable/nightly-work/attempt-1` });
    // The night's record, pages and history, as a local night writes them.
    for (const f of ["nightly.json", "night.html", "junit.xml"]) expect((await stat(join(farmNight.dir, f))).isFile()).toBe(true);
    expect((await stat(join(onFarm, "index.html"))).isFile()).toBe(true);
    expect((await readdir(onFarm)).sort()).toEqual((await readdir(local)).map((n) => (n === localNight.runId ? farmNight.runId : n)).sort());
    // Collected: the night's jobs left Redis.
    expect((await farmStatus(bed.target)).counts).toMatchObject({ completed: 0, failed: 0, waiting: 0, active: 0 });
    await execa("redis-cli", ["-h", "127.0.0.1", "-p", String(bed.redis.port), "--no-auth-warning", "-a", bed.redis.password, "flushall"], { timeout: 5_000, reject: false });
  }, 300_000);
});
