/**
 * Farm benchmark (`npm run bench -- farm`): the canary suite in real guests, locally with
 * `-j 2`, then through a local redis-server and two local `hangar worker` processes (one slot
 * each). Prints both wall-clock times and the overhead ratio farm/local (target <= 1.1).
 * The workers are started and idle before the farm run is timed; the image is built first.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { freePort } from "../harness/vm/ports.ts";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { execa, type ResultPromise } from "execa";
import { EventBus, repoRoot, withDeadline } from "../harness/common/index.ts";
import { loadScenario } from "../harness/config/index.ts";
import { farmStatus, parseRedisUrl, runSuiteOnFarm } from "../harness/farm/index.ts";
import { ResultStore } from "../harness/results/index.ts";
import { prepareBoot, runSuite } from "../harness/run/index.ts";

const CANARIES = ["selftest-hung-task", "selftest-clean", "selftest-lockdep"];

async function until(what: string, fn: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn().catch(() => false))) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function benchFarm(): Promise<void> {
  const bus = new EventBus();
  if (process.env.HANGAR_BENCH_VERBOSE) bus.on((e) => (e.type === "log" || e.type === "verdict") && console.log(`  ${JSON.stringify(e)}`));
  const plan = await prepareBoot({ sink: bus });
  const scenarios = await Promise.all(CANARIES.map((n) => loadScenario(join(repoRoot, "workloads", `${n}.yaml`))));
  const dir = await mkdtemp(join(tmpdir(), "hangar-bench-farm-"));
  const procs: ResultPromise[] = [];
  let redis: ResultPromise | undefined;
  try {
    const local = new ResultStore(join(dir, "local"));
    await local.init();
    let t0 = Date.now();
    const ls = await runSuite({ suite: "canaries", scenarios, plan, store: local, sink: bus, jobs: 2 });
    const localMs = Date.now() - t0;

    const port = await freePort();
    const password = randomBytes(12).toString("hex");
    redis = execa("redis-server", ["--bind", "127.0.0.1", "--port", String(port), "--dir", dir, "--requirepass", password, "--appendonly", "yes", "--save", ""], { reject: false, stdio: "ignore", cleanup: true });
    const url = `redis://:${password}@127.0.0.1:${port}`;
    const target = parseRedisUrl(url);
    await until("redis-server", async () => (await farmStatus(target), true), 15_000);
    for (const name of ["bench-w1", "bench-w2"]) {
      procs.push(execa(join(repoRoot, "hangar"), ["worker", "--redis", url, "--name", name, "-j", "1"], { reject: false, stdio: "ignore", cleanup: true }));
    }
    await until("two workers", async () => (await farmStatus(target)).workers.length === 2, 120_000);
    const farm = new ResultStore(join(dir, "farm"));
    await farm.init();
    t0 = Date.now();
    const fs = await runSuiteOnFarm({ target, suite: "canaries", scenarios, plan, store: farm, sink: bus, pollMs: 250 });
    const farmMs = Date.now() - t0;

    const outcomes = (s: typeof ls) => s.scenarios.map((x) => `${x.name}=${x.outcome}`).join(" ");
    console.log(`canaries (${scenarios.length} scenarios, ${plan.accel}):`);
    console.log(`  local -j 2          ${(localMs / 1000).toFixed(1)} s  ${outcomes(ls)}`);
    console.log(`  farm, 2 workers x1  ${(farmMs / 1000).toFixed(1)} s  ${outcomes(fs)}`);
    console.log(`  overhead ratio farm/local: ${(farmMs / localMs).toFixed(3)} (target <= 1.1)${outcomes(ls) === outcomes(fs) ? "" : "  (outcomes differ!)"}`);
  } finally {
    for (const p of procs) p.kill("SIGTERM");
    for (const p of procs) await withDeadline(p, 60_000, "worker exit").catch(() => p.kill("SIGKILL"));
    redis?.kill("SIGTERM");
    if (redis) await withDeadline(redis, 10_000, "redis exit").catch(() => redis?.kill("SIGKILL"));
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await benchFarm();
