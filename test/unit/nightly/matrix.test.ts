/**
 * The matrix's scheduling (p-limit bound, attempt-major order, stop after `skipped`, a kernel that
 * could not be prepared) with a stand-in for one attempt: what is tested is the queue, not a guest.
 * Real guests run it in test/e2e/nightly.test.ts.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EventBus, repoRoot, sleep } from "../../../harness/common/index.ts";
import { loadScenario } from "../../../harness/config/index.ts";
import { runMatrix, type MatrixKernel } from "../../../harness/nightly/index.ts";
import { ResultStore, type AttemptVerdict } from "../../../harness/results/index.ts";
import type { AttemptOptions, AttemptResult, BootPlan } from "../../../harness/run/index.ts";
import { tempDirs } from "../../temp-dirs.ts";

const tempDir = tempDirs();

async function setup() {
  const root = await tempDir("hangar-matrix-");
  const base = await loadScenario(join(repoRoot, "workloads", "selftest-clean.yaml"));
  const scenarios = ["a", "b", "c"].map((name) => ({ ...base, name, attempts: 3 }));
  const plan = {} as BootPlan; // never read by the stand-in
  const kernel = (key: string, ok = true): MatrixKernel => ({ key, store: new ResultStore(root, key), ...(ok ? { plan } : { error: "kernel build failed: make exited 2" }) });
  return { scenarios, kernel };
}

function standIn(verdictOf: (o: AttemptOptions) => AttemptVerdict, log: string[], live: { now: number; max: number }) {
  return async (o: AttemptOptions): Promise<AttemptResult> => {
    live.now++;
    live.max = Math.max(live.max, live.now);
    log.push(`${o.dir.split("/").slice(-3).join("/")}`);
    await sleep(5);
    live.now--;
    return { scenario: o.scenario.name, attempt: o.attempt, verdict: verdictOf(o), dir: o.dir, reports: [], phases: [], storage: [], startedAt: new Date().toISOString(), durationMs: 5 } as unknown as AttemptResult;
  };
}

describe("runMatrix", () => {
  it.each([1, 2, 4])("runs kernels × scenarios × attempts, at most %i at once, every first attempt before any second", async (jobs) => {
    const { scenarios, kernel } = await setup();
    const log: string[] = [];
    const live = { now: 0, max: 0 };
    const cells = await runMatrix({ kernels: [kernel("k1"), kernel("k2")], scenarios, jobs, sink: new EventBus(), attempt: standIn(() => "clean", log, live) });
    expect(log).toHaveLength(2 * 3 * 3);
    expect(live.max).toBe(jobs);
    const firstSecond = log.findIndex((l) => l.endsWith("attempt-2"));
    expect(log.slice(0, firstSecond).every((l) => l.endsWith("attempt-1"))).toBe(true);
    expect(firstSecond).toBeGreaterThanOrEqual(6 - jobs + 1);
    expect(cells.map((c) => `${c.kernel}/${c.scenario.name}:${c.summary.outcome}:${c.results.length}`)).toEqual([
      "k1/a:clean:3", "k1/b:clean:3", "k1/c:clean:3", "k2/a:clean:3", "k2/b:clean:3", "k2/c:clean:3",
    ]);
  });

  it("-n overrides attempts; a skipped cell stops; an unprepared kernel's cells are infra without attempts", async () => {
    const { scenarios, kernel } = await setup();
    const log: string[] = [];
    const cells = await runMatrix({
      kernels: [kernel("k1"), kernel("broken", false)],
      scenarios,
      jobs: 1,
      attempts: 2,
      sink: new EventBus(),
      attempt: standIn((o) => (o.scenario.name === "b" ? "skipped" : "clean"), log, { now: 0, max: 0 }),
    });
    expect(cells.map((c) => `${c.kernel}/${c.scenario.name}:${c.summary.outcome}:${c.results.length}`)).toEqual([
      "k1/a:clean:2", "k1/b:skipped:1", "k1/c:clean:2", "broken/a:infra:0", "broken/b:infra:0", "broken/c:infra:0",
    ]);
    expect(cells[3]!.summary.reason).toMatch(/kernel broken could not be prepared: kernel build failed/);
    expect(log.every((l) => l.startsWith("k1/"))).toBe(true);
  });
});

describe("runMatrix when things go wrong", () => {
  it("an attempt that throws is an infra attempt of its cell; the rest of the night goes on", async () => {
    const { scenarios, kernel } = await setup();
    const log: string[] = [];
    const inner = standIn(() => "clean", log, { now: 0, max: 0 });
    const cells = await runMatrix({
      kernels: [kernel("k1")],
      scenarios,
      jobs: 2,
      attempts: 2,
      sink: new EventBus(),
      attempt: async (o) => {
        if (o.scenario.name === "a" && o.attempt === 1) throw new Error("qemu vanished");
        return inner(o);
      },
    });
    const a = cells[0]!.summary;
    expect(a.attempts.map((x) => [x.attempt, x.verdict])).toEqual([[1, "infra"], [2, "clean"]]);
    expect(a.attempts[0]!.reason).toBe("hangar error: qemu vanished");
    expect(a.outcome).toBe("clean");
    expect(cells.map((c) => c.summary.attempts.length)).toEqual([2, 2, 2]);
  });

  it("once aborted, nothing new starts and the cells that did not run say so", async () => {
    const { scenarios, kernel } = await setup();
    const ac = new AbortController();
    const log: string[] = [];
    const inner = standIn(() => "clean", log, { now: 0, max: 0 });
    const cells = await runMatrix({
      kernels: [kernel("k1")],
      scenarios,
      jobs: 1,
      sink: new EventBus(),
      signal: ac.signal,
      attempt: async (o) => {
        expect(o.signal).toBe(ac.signal);
        if (o.scenario.name === "b") ac.abort();
        return inner(o);
      },
    });
    expect(log).toEqual(["k1/a/attempt-1", "k1/b/attempt-1"]);
    expect(cells.map((c) => `${c.scenario.name}:${c.summary.outcome}:${c.summary.reason ?? ""}`)).toEqual(["a:clean:", "b:clean:", "c:infra:not run: the night was interrupted"]);
  });
});
