/**
 * The canary suite through the farm with real guests: a real redis-server (127.0.0.1, a free
 * port, a password), two real `hangar worker` processes on this machine, the coordinator's
 * runSuiteOnFarm. The results tree has the scenarios, attempts and verdicts a local run gives
 * on this kernel, with the logs that came back from the workers. (The fault cases run in
 * test/unit/farm with the same worker code and a fake guest.)
 */
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, withDeadline, type EventBus } from "../../harness/common/index.ts";
import { loadScenario } from "../../harness/config/index.ts";
import { farmStatus, parseRedisUrl, runSuiteOnFarm } from "../../harness/farm/index.ts";
import type { BootPlan } from "../../harness/run/index.ts";
import { startRedis, type TestRedis } from "../unit/farm/redis-server.ts";
import { realBootPlan, tempStore, workload } from "./setup.ts";

let plan: BootPlan;
let bus: EventBus;
let redis: TestRedis;
const workers: ResultPromise[] = [];

beforeAll(async () => {
  ({ plan, bus } = await realBootPlan(undefined, "farm"));
  redis = await startRedis();
}, 40 * 60_000);

afterAll(async () => {
  // SIGTERM: each worker tears its guests down and leaves; SIGKILL only past the deadline.
  for (const w of workers) w.kill("SIGTERM");
  for (const w of workers) await withDeadline(w, 90_000, "worker exit").catch(() => w.kill("SIGKILL"));
  await redis?.stop();
}, 3 * 60_000);

describe("farm with real guests", () => {
  it("the canary suite through two `hangar worker` processes: the verdicts of a local run, the logs in the results tree", async () => {
    for (const name of ["e2e-w1", "e2e-w2"]) {
      workers.push(execa(join(repoRoot, "hangar"), ["worker", "--redis", redis.url, "--name", name, "-j", "1"], { reject: false, all: true, cleanup: true }));
    }
    const target = parseRedisUrl(redis.url);
    for (let t0 = Date.now(); (await farmStatus(target)).workers.length < 2; ) {
      if (Date.now() - t0 > 5 * 60_000) throw new Error("two workers did not register within 5 min");
      await new Promise((r) => setTimeout(r, 500));
    }
    const status = await execa(join(repoRoot, "hangar"), ["farm", "status", "--redis", redis.url], { timeout: 60_000 });
    expect(status.stdout).toMatch(/workers: 2, slots 0\/2 busy/);
    expect(status.stdout).not.toContain(redis.password);

    const scenarios = await Promise.all(["selftest-hung-task", "selftest-clean", "selftest-lockdep"].map((n) => loadScenario(workload(`${n}.yaml`))));
    const store = await tempStore();
    const summary = await runSuiteOnFarm({ target, suite: "canaries", scenarios, plan, store, sink: bus, pollMs: 250 });
    // What a local run gives on this kernel (test/e2e/selftest.test.ts): lockdep needs a lockdep kernel.
    const lockdep = plan.kernel.config && /CONFIG_PROVE_LOCKING=y/.test(await readFile(plan.kernel.config, "utf8").catch(() => "")) ? "reproduced" : "skipped";
    expect(summary.scenarios.map((s) => [s.name, s.outcome, s.met, s.attempts.map((a) => a.verdict)])).toEqual([
      ["selftest-hung-task", "reproduced", true, ["reproduced"]],
      ["selftest-clean", "clean", true, ["clean"]],
      ["selftest-lockdep", lockdep, true, [lockdep]],
    ]);
    expect(summary.exitCode).toBe(0);
    for (const f of ["summary.json", "junit.xml", "report.html"]) expect((await stat(join(store.dir, f))).isFile()).toBe(true);
    const hung = summary.scenarios[0]!.attempts[0]!;
    expect(await readFile(join(hung.dir, "console.log"), "utf8")).toMatch(/INFO: task dd:\d+ blocked for more than \d+ seconds/);
    expect(await readFile(join(hung.dir, "dmesg.log"), "utf8")).toMatch(/hangar: phase=workload/);
    const v = JSON.parse(await readFile(join(hung.dir, "verdict.json"), "utf8"));
    expect(["e2e-w1", "e2e-w2"]).toContain(v.farm.worker);
    expect(v.dir).toBe(hung.dir);
  }, 30 * 60_000);
});
