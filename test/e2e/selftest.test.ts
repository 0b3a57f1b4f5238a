import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadScenario } from "../../harness/config/index.ts";
import { runAttempt, runSuite, type BootPlan } from "../../harness/run/index.ts";
import { liveChildren } from "../../harness/vm/index.ts";
import type { EventBus } from "../../harness/common/index.ts";
import { realBootPlan, tempStore, workload } from "./setup.ts";

// Boots real guests under QEMU: the image is built on first use (minutes), each attempt ~1-2 min under TCG.
let plan: BootPlan;
let bus: EventBus;
beforeAll(async () => {
  ({ plan, bus } = await realBootPlan());
}, 40 * 60_000);

describe("canary scenarios in real guests", () => {
  it("selftest-hung-task: a writer blocked on a frozen XFS-on-loop-on-XFS is reported and matched", async () => {
    const sc = await loadScenario(workload("selftest-hung-task.yaml"));
    const store = await tempStore();
    const summary = await runSuite({ suite: "t", scenarios: [sc], plan, store, sink: bus });
    const s = summary.scenarios[0]!;
    const a = s.attempts[0]!;
    expect(a.verdict, a.reason).toBe("reproduced");
    expect(s.met).toBe(true);
    expect(summary.exitCode).toBe(0);
    const hung = a.reports.find((r) => r.kind === "hung-task");
    expect(hung?.title).toMatch(/^INFO: task hung in /);

    // The logs, the per-attempt files and the run files are all there.
    const consoleLog = await readFile(join(a.dir, "console.log"), "utf8");
    const dmesgLog = await readFile(join(a.dir, "dmesg.log"), "utf8");
    expect(consoleLog).toMatch(/INFO: task dd:\d+ blocked for more than \d+ seconds/);
    expect(dmesgLog).toMatch(/INFO: task dd:\d+ blocked for more than \d+ seconds/);
    // Phase markers share the kernel's clock in both logs.
    for (const log of [consoleLog, dmesgLog]) {
      expect(log).toMatch(/\] hangar: phase=setup/);
      expect(log).toMatch(/\] hangar: phase=workload/);
      expect(log).toMatch(/\] hangar: phase=cooldown/);
    }
    const verdict = JSON.parse(await readFile(join(a.dir, "verdict.json"), "utf8"));
    expect(verdict.verdict).toBe("reproduced");
    expect(verdict.match.matched[0].expectation).toBe("writer-blocked-on-frozen-fs");
    const reports = JSON.parse(await readFile(join(a.dir, "reports.json"), "utf8"));
    expect(reports.length).toBeGreaterThan(0);
    const onDisk = JSON.parse(await readFile(join(store.dir, "summary.json"), "utf8"));
    expect(onDisk.scenarios[0].outcome).toBe("reproduced");
    await stat(join(store.dir, "junit.xml"));
    expect(liveChildren()).toEqual([]);
  }, 10 * 60_000);

  it("selftest-clean: the same stack without the freeze has no kernel report", async () => {
    const sc = await loadScenario(workload("selftest-clean.yaml"));
    const store = await tempStore();
    const summary = await runSuite({ suite: "t", scenarios: [sc], plan, store, sink: bus });
    const a = summary.scenarios[0]!.attempts[0]!;
    expect(a.verdict, a.reason).toBe("clean");
    expect(a.reports).toEqual([]);
    expect(summary.scenarios[0]!.met).toBe(true);
    expect(summary.exitCode).toBe(0);
    const consoleLog = await readFile(join(a.dir, "console.log"), "utf8");
    expect(consoleLog).toMatch(/XFS \(loop0\): Ending clean mount/);
    expect(liveChildren()).toEqual([]);
  }, 10 * 60_000);

  it("a step stuck on a frozen filesystem times out: blocked tasks are dumped, the hang still counts", async () => {
    const base = await loadScenario(workload("selftest-hung-task.yaml"));
    const sc = {
      ...base,
      name: "stuck-step",
      // Freeze and write, never thaw: the writer (and with it the step) stays blocked.
      steps: [
        ...base.steps.filter((s) => s.phase === "setup"),
        { name: "freeze-forever", phase: "workload" as const, timeout: 30_000, mayFail: false, background: false, run: "fsfreeze -f /mnt/upper\ndd if=/dev/zero of=/mnt/upper/victim bs=64k count=16 conv=notrunc,fsync status=none" },
      ],
      cooldown: 12_000,
    };
    const store = await tempStore();
    const r = await runAttempt({ scenario: sc, attempt: 1, dir: store.attemptDir(sc.name, 1), plan, sink: bus });
    expect(r.verdict, r.reason).toBe("reproduced");
    expect(r.reason).toMatch(/did not finish within 30 s/);
    expect(r.steps.at(-1)).toMatchObject({ name: "freeze-forever", timedOut: true });
    const consoleLog = await readFile(join(r.dir, "console.log"), "utf8");
    expect(consoleLog).toMatch(/sysrq: Show Blocked State/);
    expect(consoleLog).toMatch(/hangar: phase=cooldown/);
    expect(r.phases.find((p) => p.phase === "workload")?.status).toBe("stuck");
    expect(liveChildren()).toEqual([]);
  }, 10 * 60_000);
});
