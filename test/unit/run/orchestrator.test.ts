/**
 * The orchestrator on a scripted fake machine: every verdict, the watchdog, stuck steps,
 * teardown and interruption, in well under a second each. Real guests are test/e2e's job.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventBus, setTimeScale, type TimedEvent } from "../../../harness/common/index.ts";
import { scenarioSchema, type Scenario } from "../../../harness/config/index.ts";
import { ResultStore } from "../../../harness/results/index.ts";
import { runAttempt, runScenario, runSuite, type BootPlan } from "../../../harness/run/index.ts";
import type { MachineFactory } from "../../../harness/vm/index.ts";
import { fakeFactory, type FakeScript } from "../../fake/machine.ts";
import { FLUSH_WARNING, HUNG_TASK } from "../../fake/reports.ts";

let root: string;
beforeAll(async () => {
  // Every orchestrator deadline (SysRq settle time, log drain, teardown steps) at a tenth.
  setTimeScale(0.1);
  root = await mkdtemp(join(tmpdir(), "hangar-orch-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const plan = (config?: string, modules?: Record<string, string>): BootPlan => ({
  accel: "tcg",
  qemuVersion: "fake",
  kernel: { source: "build", kernel: "/fake/bzImage", version: "6.12.0-fake", ...(config ? { config } : {}), ...(modules ? { modules } : {}) },
  image: { id: "fake-image", rootfs: "/fake/rootfs.img", sshKey: "/fake/key", bootArgs: [] },
});

function scenario(over: Record<string, unknown> = {}): Scenario {
  return {
    ...scenarioSchema.parse({
      name: "fake",
      steps: [
        { name: "prepare", phase: "setup", run: "echo fake:setup" },
        { name: "work", run: "echo fake:work" },
      ],
      cooldown: "100ms",
      deadline: "30s",
      expect: { outcome: "reproduced", signatures: [{ name: "frozen-writer", kind: "hung-task", frames: ["percpu_rwsem_wait"] }] },
      ...over,
    }),
    file: "(inline)",
  };
}

const FAST_WATCHDOG = { heartbeatEveryMs: 20, heartbeatTimeoutMs: 20, misses: 2 };

async function attempt(script: FakeScript, o: { sc?: Scenario; plan?: BootPlan; signal?: AbortSignal; onMachineReady?: () => void; defaultWatchdog?: boolean } = {}) {
  const bus = new EventBus();
  const events: TimedEvent[] = [];
  bus.on((e) => events.push(e));
  const { factory, machines } = fakeFactory(script);
  const dir = await mkdtemp(join(root, "a-"));
  const t0 = Date.now();
  const r = await runAttempt({
    scenario: o.sc ?? scenario(),
    attempt: 1,
    dir,
    plan: o.plan ?? plan(),
    sink: bus,
    machineFactory: factory,
    ...(o.defaultWatchdog ? {} : { watchdog: FAST_WATCHDOG }),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onMachineReady ? { onMachineReady: o.onMachineReady } : {}),
  });
  return { r, m: machines[0]!, events, ms: Date.now() - t0 };
}

const statusOf = (r: { phases: { phase: string; status: string }[] }) => Object.fromEntries(r.phases.map((p) => [p.phase, p.status]));

describe("orchestrator on a fake machine: verdicts", () => {
  it("reproduced: the workload makes the kernel print the expected report; every phase ran in order", async () => {
    const { r, m } = await attempt({ rules: [{ match: /fake:work/, print: HUNG_TASK }] });
    expect(r.verdict, r.reason).toBe("reproduced");
    expect(r.match?.matched.map((x) => x.expectation)).toEqual(["frozen-writer"]);
    expect(r.phases.map((p) => p.phase)).toEqual(["preflight", "boot", "detectors", "storage", "setup", "pressure", "workload", "evidence", "cooldown", "storage-down", "collect", "teardown"]);
    expect(r.phases.every((p) => p.status === "ok")).toBe(true);
    expect(m.record.teardowns).toEqual([{ graceful: true }]);
    // The phase markers went into the guest's kernel log, in order.
    const marks = m.record.commands.filter((c) => c.includes("/dev/kmsg")).map((c) => /phase=(\w+)/.exec(c)?.[1]);
    expect([...new Set(marks)]).toEqual(["setup", "workload", "cooldown", "collect"]);
    const verdict = JSON.parse(await readFile(join(r.dir, "verdict.json"), "utf8"));
    expect(verdict.verdict).toBe("reproduced");
    expect(verdict.phases).toHaveLength(12);
  });

  it("clean: nothing printed, nothing wrong", async () => {
    const { r } = await attempt({}, { sc: scenario({ expect: { outcome: "clean", signatures: [] } }) });
    expect(r.verdict).toBe("clean");
    expect(r.reason).toBeUndefined();
  });

  it("unexpected: a report nobody expected", async () => {
    const { r } = await attempt({ rules: [{ match: /fake:work/, print: FLUSH_WARNING }] });
    expect(r.verdict).toBe("unexpected");
    expect(r.reports[0]?.title).toMatch(/check_flush_dependency/);
  });

  it("infra: a setup step fails; the workload never runs, the machine is still torn down", async () => {
    const { r, m } = await attempt({ rules: [{ match: /fake:setup/, code: 2, stderr: "mkfs: no space" }] });
    expect(r.verdict).toBe("infra");
    expect(r.reason).toMatch(/step "prepare" exited 2: mkfs: no space/);
    expect(statusOf(r)).toMatchObject({ setup: "failed", workload: "not-run", cooldown: "not-run", collect: "ok", teardown: "ok" });
    expect(m.record.commands.some((c) => c.includes("fake:work"))).toBe(false);
    expect(m.record.teardowns).toHaveLength(1);
  });

  it("infra: a guest that never boots fails at boot within the deadline; nothing else runs", async () => {
    const { r, ms } = await attempt({ neverBoots: true }, { sc: scenario({ deadline: "300ms" }) });
    expect(r.verdict).toBe("infra");
    expect(statusOf(r)).toMatchObject({ boot: "aborted", detectors: "not-run", teardown: "ok" });
    expect(r.reason).toMatch(/deadline/);
    // booted afresh once (BOOT_RETRIES), each boot within the deadline
    expect(r.bootFailures).toHaveLength(1);
    expect(ms).toBeLessThan(5_000);
  });

  it("a boot that oopses (QEMU exits): the machine is booted afresh and the attempt judged on the new one; the failed boot's files set aside", async () => {
    const panic = ["Oops: int3: 0000 [#1] SMP", "RIP: 0010:sched_clock_cpu+0x5/0x180", "Kernel panic - not syncing: Fatal exception in interrupt"];
    const bus = new EventBus();
    const events: TimedEvent[] = [];
    bus.on((e) => events.push(e));
    const { factory, machines } = fakeFactory({ panicsAtBoot: 1, panicConsole: panic, rules: [{ match: /fake:work/, print: HUNG_TASK }] });
    const dir = await mkdtemp(join(root, "a-"));
    const r = await runAttempt({ scenario: scenario(), attempt: 1, dir, plan: plan(), sink: bus, machineFactory: factory, watchdog: FAST_WATCHDOG });
    expect(r.verdict, r.reason).toBe("reproduced");
    expect(machines).toHaveLength(2);
    expect(machines[0]!.record.booted).toBe(false);
    expect(r.bootFailures).toEqual([{ reason: expect.stringMatching(/^boot aborted: the machine exited \(code 0\) \(the console shows: int3 in sched_clock_cpu\)$/), dir: join(dir, "boot-failure-1") }]);
    expect(await readFile(join(dir, "boot-failure-1", "console.log"), "utf8")).toContain("Oops: int3");
    expect(await readFile(join(dir, "console.log"), "utf8")).not.toContain("Oops: int3");
    expect(JSON.parse(await readFile(join(dir, "verdict.json"), "utf8")).bootFailures).toHaveLength(1);
    // one verdict for the attempt, after a warning that names the failed boot
    expect(events.filter((e) => e.type === "verdict").map((e) => e.type === "verdict" && e.verdict)).toEqual(["reproduced"]);
    expect(events.some((e) => e.type === "log" && e.level === "warn" && /did not come up.*booting it afresh/.test(e.message))).toBe(true);
  });

  it("a kernel that cannot boot: booted twice, then infra with the second boot's reason; the first is kept", async () => {
    const { factory, machines } = fakeFactory({ panicsAtBoot: 5 });
    const dir = await mkdtemp(join(root, "a-"));
    const r = await runAttempt({ scenario: scenario({ expect: { outcome: "clean", signatures: [] } }), attempt: 1, dir, plan: plan(), sink: new EventBus(), machineFactory: factory, watchdog: FAST_WATCHDOG });
    expect(r.verdict).toBe("infra");
    expect(r.reason).toMatch(/^boot aborted: the machine exited.*kernel panic: fake/);
    expect(machines).toHaveLength(2);
    expect(r.bootFailures).toHaveLength(1);
    expect(r.steps).toEqual([]);
  });

  it("skipped without booting: the kernel's config on the host lacks a required option", async () => {
    const config = join(root, "config-fake");
    await writeFile(config, "CONFIG_XFS_FS=y\n# CONFIG_PROVE_LOCKING is not set\n");
    const { r, m } = await attempt({}, { sc: scenario({ kernel: { requires: ["CONFIG_XFS_FS", "CONFIG_PROVE_LOCKING"] } }), plan: plan(config) });
    expect(r.verdict).toBe("skipped");
    expect(r.reason).toMatch(/lacks CONFIG_PROVE_LOCKING.*no guest booted/);
    expect(r.missingOptions).toEqual(["CONFIG_PROVE_LOCKING"]);
    expect(m.record.booted).toBe(false);
    expect(statusOf(r)).toMatchObject({ preflight: "skipped", boot: "not-run", teardown: "not-run" });
  });

  it("skipped without booting: a test module the kernel was not built with", async () => {
    const { r, m } = await attempt({}, { sc: scenario({ kernel: { modules: ["hangar_lockdep_abba"] } }) });
    expect(r.verdict).toBe("skipped");
    expect(r.reason).toMatch(/no test module hangar_lockdep_abba/);
    expect(m.record.booted).toBe(false);
  });

  it("skipped after booting when the host cannot read the kernel's config: the guest's config decides", async () => {
    const { r, m } = await attempt(
      { rules: [{ match: /config\.gz/, stdout: "CONFIG_XFS_FS=y\n" }] },
      { sc: scenario({ kernel: { requires: ["CONFIG_PROVE_LOCKING"] } }) },
    );
    expect(r.verdict).toBe("skipped");
    expect(m.record.booted).toBe(true);
    expect(statusOf(r)).toMatchObject({ detectors: "skipped", storage: "not-run", teardown: "ok" });
  });
});

describe("orchestrator on a fake machine: faults", () => {
  it("a stuck step: blocked tasks are dumped, the cooldown still runs (wait only), the report it caused is judged", async () => {
    const sc = scenario({
      steps: [{ name: "work", run: "echo fake:stuck", timeout: "200ms" }, { name: "cool", phase: "cooldown", run: "echo fake:cool" }],
    });
    const { r, m } = await attempt({ rules: [{ match: /fake:stuck/, hang: true, print: HUNG_TASK }] }, { sc });
    expect(r.verdict).toBe("reproduced");
    expect(r.reason).toMatch(/did not finish within 0.2 s/);
    expect(statusOf(r)).toMatchObject({ workload: "stuck", cooldown: "ok", "storage-down": "not-run" });
    expect(m.record.commands.some((c) => c.includes("sysrq-trigger"))).toBe(true);
    // After a stuck step the cooldown waits but runs no cooldown steps.
    expect(m.record.commands.some((c) => c.includes("fake:cool"))).toBe(false);
    expect(r.steps.find((s) => s.name === "work")?.timedOut).toBe(true);
  });

  it("a heartbeat may take three times longer under TCG than under KVM (a starved emulated guest is slow, not wedged)", async () => {
    // The timeouts table at this file's time scale (0.1): one heartbeat every 0.5 s, 1.5 s each under KVM.
    const sc = scenario({ steps: [{ name: "work", run: "echo fake:slow" }], expect: { outcome: "clean", signatures: [] } });
    const slow = { rules: [{ match: /fake:slow/, delayMs: 1_200 }] };
    const tcg = await attempt(slow, { sc, defaultWatchdog: true });
    const kvm = await attempt(slow, { sc, plan: { ...plan(), accel: "kvm" }, defaultWatchdog: true });
    expect(tcg.r.verdict).toBe("clean");
    expect(kvm.r.verdict).toBe("clean");
    expect(kvm.m.record.healthCheckTimeouts.length).toBeGreaterThan(0);
    expect(new Set(kvm.m.record.healthCheckTimeouts)).toEqual(new Set([1_500]));
    expect(new Set(tcg.m.record.healthCheckTimeouts)).toEqual(new Set([4_500]));
  });

  it("the watchdog trips on missed heartbeats: SysRq w and t out of band, then a forced teardown; infra", async () => {
    const sc = scenario({ steps: [{ name: "work", run: "echo fake:wedge", timeout: "20s" }], expect: { outcome: "clean", signatures: [] } });
    const { r, m, ms } = await attempt({ rules: [{ match: /fake:wedge/, wedge: true }] }, { sc });
    expect(r.verdict).toBe("infra");
    expect(r.reason).toMatch(/unresponsive: 2 heartbeats missed/);
    expect(r.watchdog).toMatchObject({ tripped: "unresponsive" });
    expect(m.record.sysrq).toEqual(["w", "t"]);
    expect(m.record.teardowns).toEqual([{ graceful: false }]);
    expect(statusOf(r)).toMatchObject({ workload: "aborted", cooldown: "not-run", collect: "ok" });
    expect(ms).toBeLessThan(15_000);
  });

  it("the deadline passes during a long step: infra, aborted at the deadline", async () => {
    const sc = scenario({ steps: [{ name: "work", run: "echo fake:slow", timeout: "1m" }], deadline: "400ms", expect: { outcome: "clean", signatures: [] } });
    const { r, ms } = await attempt({ rules: [{ match: /fake:slow/, delayMs: 60_000 }] }, { sc });
    expect(r.verdict).toBe("infra");
    expect(r.reason).toBe("attempt deadline passed");
    expect(r.watchdog?.tripped).toBe("deadline");
    expect(ms).toBeLessThan(15_000);
  });

  it("the machine exits under the workload (a panic): the watchdog notices at once; infra", async () => {
    const sc = scenario({ steps: [{ name: "work", run: "echo fake:panic" }], expect: { outcome: "clean", signatures: [] } });
    const { r } = await attempt({ rules: [{ match: /fake:panic/, exit: true, print: ["Kernel panic - not syncing: fake"] }] }, { sc });
    expect(r.watchdog?.tripped).toBe("qemu-exited");
    expect(r.verdict).not.toBe("clean");
    expect(r.watchdog?.sysrq).toEqual(["sysrq: the machine had already exited"]);
  });

  it("an SSH drop under a step: the step (detached in the guest) is attached again and ends with its own status", async () => {
    const sc = scenario({ steps: [{ name: "work", run: "echo fake:drop" }], expect: { outcome: "clean", signatures: [] } });
    const { r, m } = await attempt({ rules: [{ match: /fake:drop/, drop: true }] }, { sc });
    expect(r.verdict, r.reason).toBe("clean");
    expect(r.steps.find((s) => s.name === "work")).toMatchObject({ exitCode: 0, reattached: 1 });
    expect(m.record.commands.filter((c) => c.includes("steps/workload-work")).length).toBe(2);
  });

  it("a step whose connection keeps dropping: after its re-attach tries and the watchdog's window, infra naming the step", async () => {
    const sc = scenario({ steps: [{ name: "work", run: "echo fake:drop" }], expect: { outcome: "clean", signatures: [] } });
    const { r } = await attempt({ rules: [{ match: /steps\/workload-work/, drop: true }] }, { sc });
    expect(r.verdict).toBe("infra");
    expect(r.reason).toMatch(/ssh connection lost during step "work"/);
  });

  it("an SSH drop under a command that is safe to repeat: it runs again and the attempt goes on", async () => {
    const { r, m } = await attempt({ rules: [{ match: /sysctl -q -w/, drop: true, times: 1 }] }, { sc: scenario({ expect: { outcome: "clean", signatures: [] } }) });
    expect(r.verdict, r.reason).toBe("clean");
    expect(m.record.commands.filter((c) => c.includes("sysctl -q -w")).length).toBe(2);
  });

  it("an SSH drop under any other guest command gets the same window, then names what was lost", async () => {
    const { r } = await attempt({ rules: [{ match: /sysctl -q -w/, drop: true }] }, { sc: scenario({ expect: { outcome: "clean", signatures: [] } }) });
    expect(r.verdict).toBe("infra");
    expect(r.reason).toMatch(/ssh connection lost during a guest command/);
    expect(statusOf(r)).toMatchObject({ detectors: "failed", workload: "not-run", teardown: "ok" });
  });

  it("an SSH drop on a guest that is gone: the watchdog's verdict, not the lost connection", async () => {
    const { r } = await attempt({ rules: [{ match: /sysctl -q -w/, drop: true, wedge: true }] }, { sc: scenario({ expect: { outcome: "clean", signatures: [] } }) });
    expect(r.verdict).toBe("infra");
    expect(r.reason).toMatch(/unresponsive/);
  });

  it("a report the kernel prints while the machine is torn down is still judged", async () => {
    const { r } = await attempt({ teardownConsole: HUNG_TASK });
    expect(r.verdict).toBe("reproduced");
  });

  it("a flooding console does not stall the attempt", async () => {
    const { r, ms } = await attempt({ flood: 50_000 }, { sc: scenario({ expect: { outcome: "clean", signatures: [] } }) });
    expect(r.verdict).toBe("clean");
    expect(ms).toBeLessThan(10_000);
  });

  it("Ctrl-C mid-attempt: the step is cut short, no SysRq, a forced teardown, infra 'interrupted'", async () => {
    const ac = new AbortController();
    const sc = scenario({ steps: [{ name: "work", run: "echo fake:slow", timeout: "1m" }], expect: { outcome: "clean", signatures: [] } });
    const { r, m, ms } = await attempt({ rules: [{ match: /fake:slow/, delayMs: 60_000 }] }, { sc, signal: ac.signal, onMachineReady: () => void setTimeout(() => ac.abort(), 50) });
    expect(r.verdict).toBe("infra");
    expect(r.reason).toMatch(/interrupted/);
    expect(m.record.sysrq).toEqual([]);
    expect(m.record.teardowns).toEqual([{ graceful: false }]);
    expect(ms).toBeLessThan(10_000);
  });
});

describe("suite on fake machines", () => {
  it("one scenario's error never loses the run: it is infra with the reason, the others are judged, the summary is written", async () => {
    const store = new ResultStore(root);
    await store.init();
    const good = scenario({ name: "good" });
    // A scenario whose attempt directory cannot be made (a file where its folder must go).
    const broken = scenario({ name: "broken" });
    await writeFile(join(store.dir, "broken"), "in the way");
    const { factory } = fakeFactory({ rules: [{ match: /fake:work/, print: HUNG_TASK }] });
    const s = await runSuite({ suite: "t", scenarios: [broken, good], plan: plan(), store, sink: new EventBus(), machineFactory: factory, watchdog: FAST_WATCHDOG });
    expect(s.scenarios.map((x) => [x.name, x.outcome])).toEqual([["broken", "infra"], ["good", "reproduced"]]);
    expect(s.scenarios[0]!.reason).toMatch(/hangar failed: .*(EEXIST|ENOTDIR)/);
    expect(s.scenarios[0]!.attempts[0]?.verdict).toBe("infra");
    expect(s.exitCode).toBe(3);
    const written = JSON.parse(await readFile(join(store.dir, "summary.json"), "utf8"));
    expect(written.scenarios).toHaveLength(2);
  });

  it("replaceInfra: an infra attempt is replaced by a new one, numbered on, up to the limit", async () => {
    const store = new ResultStore(root);
    await store.init();
    const sc = scenario({ name: "replaced", expect: { outcome: "clean", signatures: [] } });
    // The first two machines fail their setup (infra), the others are clean.
    const broken = fakeFactory({ rules: [{ match: /fake:setup/, code: 2, stderr: "mkfs: no space" }] });
    const fine = fakeFactory();
    let made = 0;
    const machineFactory: MachineFactory = (spec) => (made++ < 2 ? broken.factory(spec) : fine.factory(spec));
    const { results } = await runScenario(sc, { plan: plan(), store, sink: new EventBus(), machineFactory, watchdog: FAST_WATCHDOG, attempts: 2, replaceInfra: 1 });
    // Attempt 1 is replaced by attempt 3; attempt 2 is not (the limit is one).
    expect(results.map((r) => [r.attempt, r.verdict])).toEqual([[1, "infra"], [2, "infra"], [3, "clean"]]);
    expect(new Set(results.map((r) => r.dir)).size).toBe(3);
  });

  it("an interrupted suite starts nothing new and marks the summary interrupted", async () => {
    const store = new ResultStore(root);
    await store.init();
    const ac = new AbortController();
    const { factory, machines } = fakeFactory({ rules: [{ match: /fake:work/, delayMs: 60_000 }] });
    const scs = [scenario({ name: "one" }), scenario({ name: "two" })];
    const s = await runSuite({
      suite: "t",
      scenarios: scs,
      plan: plan(),
      store,
      sink: new EventBus(),
      machineFactory: factory,
      watchdog: FAST_WATCHDOG,
      signal: ac.signal,
      onMachineReady: () => void setTimeout(() => ac.abort(), 30),
    });
    expect(s.interrupted).toBe(true);
    expect(machines).toHaveLength(1);
    expect(s.scenarios.map((x) => x.outcome)).toEqual(["infra", "infra"]);
    expect(s.scenarios[1]!.reason).toMatch(/not run: the run was interrupted/);
  });
});
