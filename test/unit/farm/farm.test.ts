/**
 * The farm on a real redis-server (127.0.0.1, a free port, a password, append-only) with real
 * worker processes running the real worker code; only the guest is the scripted fake machine,
 * so the fault cases (SIGKILL, Redis restarts, lost Redis) run in seconds. The same suite
 * through two workers and locally must give the same scenarios, attempts and verdicts.
 * test/e2e/farm.test.ts does it with real guests.
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { EventBus, exitCodeOf, setTimeScale, withDeadline, type TimedEvent } from "../../../harness/common/index.ts";
import { farmStatus, parseRedisUrl, resumeFarmRun, runSuiteOnFarm, RedisUnreachableError, FARM_FILE, type RedisTarget } from "../../../harness/farm/index.ts";
import { ResultStore, type RunSummary } from "../../../harness/results/index.ts";
import { runSuite, type BootPlan } from "../../../harness/run/index.ts";
import { fakeFactory } from "../../fake/machine.ts";
import { HUNG_TASK } from "../../fake/reports.ts";
import { fakePlan, fakeScenario, spawnWorker, type WorkerProcess } from "./fixtures.ts";
import { freePort, startRedis, type TestRedis } from "./redis-server.ts";

let redis: TestRedis;
let target: RedisTarget;
let root: string;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  setTimeScale(0.1);
  redis = await startRedis();
  target = parseRedisUrl(redis.url);
  root = await mkdtemp(join(tmpdir(), "hangar-farm-"));
});
afterEach(async () => {
  // Every worker this test started, by its own handle.
  for (const w of workers.splice(0)) {
    w.proc.kill("SIGKILL");
    await withDeadline(w.proc, 10_000, "worker exit").catch(() => {});
  }
  await execa("redis-cli", ["-h", "127.0.0.1", "-p", String(redis.port), "--no-auth-warning", "-a", redis.password, "flushall"], { timeout: 5_000, reject: false });
});
afterAll(async () => {
  await redis?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

/** Heartbeats that a loaded 2-core host still answers in time (as in worker-process.ts). */
const WATCHDOG = { heartbeatEveryMs: 200, heartbeatTimeoutMs: 2_000, misses: 3 };

function worker(name: string, o: { lockMs?: number; slots?: number } = {}): WorkerProcess {
  const w = spawnWorker({ url: redis.url, name, cache: join(root, `cache-${name}`), ...o });
  workers.push(w);
  return w;
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 90_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const ready = (w: WorkerProcess) => until(`${w.name} ready`, async () => w.output().includes("ready"), 90_000);

async function store(name: string, runId?: string): Promise<ResultStore> {
  const s = new ResultStore(join(root, name), runId);
  await s.init();
  return s;
}

function bus(): { bus: EventBus; events: TimedEvent[] } {
  const b = new EventBus();
  const events: TimedEvent[] = [];
  b.on((e) => events.push(e));
  return { bus: b, events };
}

const verdicts = (s: RunSummary) =>
  Object.fromEntries(s.scenarios.map((sc) => [sc.name, { outcome: sc.outcome, met: sc.met, attempts: sc.attempts.map((a) => `${a.attempt}:${a.verdict}`) }]));

async function verdictJson(dir: string): Promise<{ verdict: string; dir: string; reason?: string; farm?: { worker?: string; jobId: string; earlier?: string[] } }> {
  return JSON.parse(await readFile(join(dir, "verdict.json"), "utf8"));
}

/** A built kernel's artifact as the coordinator has it: bzImage, config, one test module (random bytes, real files). */
async function builtKernel(): Promise<BootPlan["kernel"]> {
  const dir = join(root, "kernel-src");
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "bzImage"), randomBytes(512 * 1024));
  await writeFile(join(dir, "config"), "CONFIG_PROVE_LOCKING=y\n");
  await writeFile(join(dir, "hangar_test.ko"), randomBytes(4096));
  // A bzImage by path (as `--kernel FILE`), with a config and a module: a "build" kernel would need this machine's kernel cache to boot locally.
  return { source: "path", kernel: join(dir, "bzImage"), config: join(dir, "config"), version: "6.12.0-farm", modules: { hangar_test: join(dir, "hangar_test.ko") } };
}

describe("farm: a suite through two worker processes", () => {
  it("writes the same scenarios, attempts and verdicts as a local run, with the logs and the kernel artifact verified", async () => {
    const w1 = worker("w1");
    const w2 = worker("w2");
    const scenarios = [fakeScenario("farm-repro", "repro", { attempts: 2 }), fakeScenario("farm-clean", "clean"), fakeScenario("farm-broken", "broken")];
    const kernel = await builtKernel();
    // Local: the same scenarios, plan and fake guests, with runSuite.
    const local = fakeFactory({ rules: [{ match: /fake:repro/, print: HUNG_TASK }, { match: /fake:broken/, code: 2, stderr: "mkfs: no space" }] });
    const localStore = await store("local");
    const localSummary = await runSuite({ suite: "farm-test", scenarios, plan: fakePlan(kernel), store: localStore, sink: new EventBus(), machineFactory: local.factory, watchdog: WATCHDOG });
    await Promise.all([ready(w1), ready(w2)]);
    const farmStore = await store("farm");
    const { bus: b, events } = bus();
    const summary = await runSuiteOnFarm({ target, suite: "farm-test", scenarios, plan: fakePlan(kernel), store: farmStore, sink: b, tries: 1, pollMs: 100 });
    const reasons = (x: RunSummary) => JSON.stringify(x.scenarios.flatMap((sc) => sc.attempts.map((a) => `${sc.name}#${a.attempt}: ${a.reason ?? ""}`)));
    expect(localSummary.scenarios.find((x) => x.name === "farm-clean")?.outcome, reasons(localSummary)).toBe("clean");
    expect(verdicts(summary), reasons(summary)).toEqual(verdicts(localSummary));
    expect(verdicts(summary)).toMatchObject({ "farm-repro": { outcome: "reproduced", met: true }, "farm-clean": { outcome: "clean", met: true }, "farm-broken": { outcome: "infra" } });
    expect(summary.exitCode).toBe(localSummary.exitCode);
    for (const f of ["summary.json", "junit.xml", "report.html", FARM_FILE]) expect((await stat(join(farmStore.dir, f))).isFile()).toBe(true);
    // Every attempt: its logs in our tree, verdict.json naming our folder and the worker that ran it.
    const ran = new Set<string>();
    for (const sc of summary.scenarios) {
      for (const a of sc.attempts) {
        expect(a.dir).toBe(farmStore.attemptDir(sc.name, a.attempt));
        const v = await verdictJson(a.dir);
        expect(v.dir).toBe(a.dir);
        expect(["w1", "w2"]).toContain(v.farm?.worker);
        ran.add(v.farm!.worker!);
        expect(await readFile(join(a.dir, "console.log"), "utf8")).toMatch(/Linux version 6\.12\.0-fake/);
      }
    }
    const repro = summary.scenarios.find((s) => s.name === "farm-repro")!;
    expect(repro.attempts[0]!.reports[0]!.title).toMatch(/mnt_want_write/);
    expect(await readFile(join(repro.attempts[0]!.dir, "console.log"), "utf8")).toMatch(/blocked for more than/);
    expect(summary.scenarios.find((s) => s.name === "farm-broken")!.attempts[0]!.reason).toMatch(/step "prepare" exited 2: mkfs: no space/);
    // The live progress line named the workers.
    expect(events.some((e) => e.type === "progress" && e.step === "farm" && /done/.test(e.message))).toBe(true);
    // Each worker that ran an attempt fetched the kernel into its cache, byte for byte.
    for (const name of ran) {
      const kdir = join(root, `cache-${name}`, "farm", "kernels");
      const [sha] = await readdir(kdir);
      expect((await readFile(join(kdir, sha!, "bzImage"))).equals(await readFile(kernel.kernel))).toBe(true);
      expect((await readFile(join(kdir, sha!, "modules", "hangar_test.ko"))).equals(await readFile(kernel.modules!.hangar_test!))).toBe(true);
    }
    // Collected: the run's jobs left Redis.
    expect((await farmStatus(target)).counts).toMatchObject({ completed: 0, failed: 0, waiting: 0, active: 0 });
  }, 180_000);
});

describe("farm: faults, for real", () => {
  it("a worker SIGKILLed mid-attempt: the job is retried on another worker and recorded once", async () => {
    const a = worker("doomed");
    await ready(a);
    const s = await store("sigkill");
    const { bus: b, events } = bus();
    const run = runSuiteOnFarm({ target, suite: "sigkill", scenarios: [fakeScenario("farm-kill", "long")], plan: fakePlan(), store: s, sink: b, pollMs: 100 });
    await until("the job runs on the doomed worker", async () => (await farmStatus(target)).active.find((j) => j.worker === "doomed"));
    a.proc.kill("SIGKILL");
    await withDeadline(a.proc, 10_000, "doomed worker exit");
    const c = worker("rescuer");
    const summary = await withDeadline(run, 45_000, "the run");
    expect(verdicts(summary)).toEqual({ "farm-kill": { outcome: "reproduced", met: true, attempts: ["1:reproduced"] } });
    expect((await verdictJson(s.attemptDir("farm-kill", 1))).farm?.worker).toBe(c.name);
    expect(await readdir(join(s.dir, "farm-kill"))).toEqual(["attempt-1"]);
    expect(events.filter((e) => e.type === "verdict" && e.scenario === "farm-kill" && e.attempt === 1)).toHaveLength(1);
  }, 180_000);

  it("a worker stopped with SIGTERM mid-attempt: its guest is torn down, the job goes back without using a try", async () => {
    const a = worker("leaving");
    await ready(a);
    const s = await store("sigterm");
    const run = runSuiteOnFarm({ target, suite: "sigterm", scenarios: [fakeScenario("farm-term", "long")], plan: fakePlan(), store: s, sink: new EventBus(), pollMs: 100, tries: 1 });
    await until("the job runs on the leaving worker", async () => (await farmStatus(target)).active.find((j) => j.worker === "leaving"));
    a.proc.kill("SIGTERM");
    expect((await withDeadline(a.proc, 30_000, "leaving worker exit")).exitCode).toBe(0);
    expect(a.output()).toMatch(/"verdict":"infra","detail":"[^"]*interrupted/);
    expect((await farmStatus(target)).counts).toMatchObject({ waiting: 1, failed: 0 });
    const b = worker("staying");
    const summary = await withDeadline(run, 60_000, "the run");
    // tries: 1, yet the attempt ran again: stopping a worker does not count as a try.
    expect(verdicts(summary)).toEqual({ "farm-term": { outcome: "reproduced", met: true, attempts: ["1:reproduced"] } });
    expect((await verdictJson(s.attemptDir("farm-term", 1))).farm).toMatchObject({ worker: b.name, earlier: [] });
  }, 180_000);

  it("Redis restarted mid-run (append-only): no job is lost, every attempt gets its verdict", async () => {
    const w = worker("steady", { lockMs: 15_000 });
    await ready(w);
    const s = await store("restart");
    const scenarios = [fakeScenario("farm-restart", "slow", { attempts: 3 })];
    const run = runSuiteOnFarm({ target, suite: "restart", scenarios, plan: fakePlan(), store: s, sink: new EventBus(), pollMs: 100, redisLostMs: 30_000 });
    await until("a job runs", async () => (await farmStatus(target)).active.length > 0);
    await redis.restart({ downMs: 1_000 });
    const summary = await withDeadline(run, 60_000, "the run");
    expect(verdicts(summary)).toEqual({ "farm-restart": { outcome: "reproduced", met: true, attempts: ["1:reproduced", "2:reproduced", "3:reproduced"] } });
  }, 180_000);

  it("Redis unreachable at start: a clear error, exit 3, nothing enqueued", async () => {
    const port = await freePort();
    const s = await store("unreachable");
    const err = await runSuiteOnFarm({ target: parseRedisUrl(`redis://:pw@127.0.0.1:${port}`), suite: "x", scenarios: [fakeScenario("farm-x", "clean")], plan: fakePlan(), store: s, sink: new EventBus() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RedisUnreachableError);
    expect(exitCodeOf(err)).toBe(3);
    expect((err as Error).message).toMatch(new RegExp(`Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port} is unreachable: .*ECONNREFUSED.*nothing listens there`));
    expect(await readdir(s.dir)).toEqual([]);
    // A wrong password on the real server: refused, said so, and the queue stays empty.
    const wrong = await runSuiteOnFarm({ target: parseRedisUrl(`redis://:not-${redis.password}@127.0.0.1:${redis.port}`), suite: "x", scenarios: [fakeScenario("farm-x", "clean")], plan: fakePlan(), store: s, sink: new EventBus() }).catch((e: unknown) => e);
    expect(exitCodeOf(wrong)).toBe(3);
    expect((wrong as Error).message).toMatch(/the password was refused/);
    expect((wrong as Error).message).not.toContain(redis.password);
    expect((await farmStatus(target)).counts).toMatchObject({ waiting: 0, active: 0, completed: 0 });
  }, 30_000);

  it("an attempt that is infra on every try is recorded infra after N tries, not retried forever", async () => {
    const w = worker("flaky");
    await ready(w);
    const s = await store("tries");
    const summary = await withDeadline(
      runSuiteOnFarm({ target, suite: "tries", scenarios: [fakeScenario("farm-broken", "broken")], plan: fakePlan(), store: s, sink: new EventBus(), tries: 3, retryDelayMs: 100, pollMs: 100 }),
      45_000,
      "the run",
    );
    const a = summary.scenarios[0]!.attempts[0]!;
    expect(a.verdict).toBe("infra");
    expect(a.reason).toMatch(/after 3 tries: try 1 on flaky: step "prepare" exited 2.*; try 2 on flaky/);
    expect((await verdictJson(a.dir)).farm?.earlier).toHaveLength(2);
    expect(summary.exitCode).toBe(3);
  }, 180_000);

  it("the coordinator killed: --resume finds the run's jobs and collects what finished meanwhile", async () => {
    const results = join(root, "resume");
    const runId = "20261201-000000-beef";
    const coordinator = execa(process.execPath, ["--import", "tsx", join(process.cwd(), "test/unit/farm/coordinator-process.ts")], {
      env: { FARM_REDIS: redis.url, FARM_RESULTS: results, FARM_RUN_ID: runId, HANGAR_TIME_SCALE: "0.1" },
      reject: false,
      cleanup: true,
    });
    try {
      await until("the coordinator enqueued its attempts", async () => {
        const c = (await farmStatus(target)).counts;
        return (c.waiting ?? 0) + (c.active ?? 0) >= 2;
      });
    } finally {
      coordinator.kill("SIGKILL");
      await withDeadline(coordinator, 10_000, "coordinator exit").catch(() => {});
    }
    const w = worker("meanwhile", { slots: 2 });
    await ready(w);
    await until("both attempts finished with nobody collecting", async () => (await farmStatus(target)).counts.completed === 2);
    const before = Date.now();
    const s = new ResultStore(results, runId);
    const summary = await withDeadline(resumeFarmRun({ target, store: s, sink: new EventBus(), pollMs: 100 }), 20_000, "resume");
    expect(verdicts(summary)).toEqual({ "farm-resume": { outcome: "reproduced", met: true, attempts: ["1:reproduced", "2:reproduced"] } });
    // Collected, not run again: both ran before the resume started.
    for (const a of summary.scenarios[0]!.attempts) expect(Date.parse(JSON.parse(await readFile(join(a.dir, "verdict.json"), "utf8")).startedAt)).toBeLessThan(before);
    expect(summary.runId).toBe(runId);
    // A second resume finds everything collected and runs nothing.
    const again = await withDeadline(resumeFarmRun({ target, store: s, sink: new EventBus(), pollMs: 100 }), 20_000, "second resume");
    expect(verdicts(again)).toEqual(verdicts(summary));
  }, 180_000);

  it("Redis lost mid-run: the coordinator does not wedge; the attempts are infra and the run says how to resume", async () => {
    const w = worker("orphan", { lockMs: 15_000 });
    await ready(w);
    const s = await store("lost");
    const run = runSuiteOnFarm({ target, suite: "lost", scenarios: [fakeScenario("farm-lost", "long")], plan: fakePlan(), store: s, sink: new EventBus(), pollMs: 100, redisLostMs: 1_500 });
    await until("a job runs", async () => (await farmStatus(target)).active.length > 0);
    await redis.kill();
    try {
      const t0 = Date.now();
      const summary = await withDeadline(run, 30_000, "the run without Redis");
      expect(Date.now() - t0).toBeLessThan(25_000);
      const a = summary.scenarios[0]!.attempts[0]!;
      expect(a.verdict).toBe("infra");
      expect(a.reason).toMatch(/Redis at .* is unreachable.*--resume/);
      expect(summary.exitCode).toBe(3);
    } finally {
      await redis.restart();
    }
  }, 180_000);

  it("no worker alive: the attempts end infra within the deadline and leave the queue", async () => {
    const s = await store("noworker");
    const t0 = Date.now();
    const summary = await runSuiteOnFarm({ target, suite: "noworker", scenarios: [fakeScenario("farm-alone", "clean")], plan: fakePlan(), store: s, sink: new EventBus(), pollMs: 100, noWorkerMs: 1_000 });
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(summary.scenarios[0]!.attempts[0]!.reason).toMatch(/no farm worker alive/);
    expect((await farmStatus(target)).counts).toMatchObject({ waiting: 0 });
  }, 60_000);
});
