import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { scenarioSchema, type Scenario } from "../../harness/config/index.ts";
import { runAttempt, startSession, type BootPlan } from "../../harness/run/index.ts";
import { liveChildren } from "../../harness/vm/index.ts";
import type { EventBus, TimedEvent } from "../../harness/common/index.ts";
import { alive, realBootPlan, tempStore } from "./setup.ts";

let plan: BootPlan;
let bus: EventBus;
let events: TimedEvent[];
beforeAll(async () => {
  ({ plan, bus, events } = await realBootPlan());
}, 40 * 60_000);

const DEADLINE_MS = 4 * 60_000;

describe("watchdog", () => {
  it("declares a guest whose QEMU is frozen (SIGSTOP) infra within its deadline plus a minute, tries sysrq, leaves no QEMU", async () => {
    const sc: Scenario = {
      ...scenarioSchema.parse({
        name: "frozen-guest",
        steps: [{ name: "long", run: "sleep 600", timeout: "15m" }],
        deadline: DEADLINE_MS / 1000,
        expect: { outcome: "clean", signatures: [] },
      }),
      file: "(inline)",
    };
    const store = await tempStore();
    let qemuPid: number | undefined;
    const t0 = Date.now();
    const r = await runAttempt({
      scenario: sc,
      attempt: 1,
      dir: store.attemptDir(sc.name, 1),
      plan,
      sink: bus,
      onMachineReady: (machine) => {
        qemuPid = machine.pid;
        // Freeze QEMU shortly after SSH came up, while the workload step runs.
        setTimeout(() => process.kill(machine.pid!, "SIGSTOP"), 8_000).unref();
      },
    });
    const took = Date.now() - t0;
    expect(r.verdict).toBe("infra");
    expect(r.reason).toMatch(/unresponsive/);
    expect(took).toBeLessThan(DEADLINE_MS + 60_000);
    // The watchdog tried sysrq w and t through QMP before tearing down (QMP cannot answer a stopped QEMU).
    expect(r.watchdog?.tripped).toBe("unresponsive");
    expect(r.watchdog?.sysrq.map((s) => s.slice(0, 7))).toEqual(["sysrq-w", "sysrq-t"]);
    expect(events.some((e) => e.type === "log" && /sysrq-w/.test(e.message))).toBe(true);
    // Teardown escalated past the steps a frozen QEMU cannot take.
    expect(["sigterm", "sigkill"]).toContain(r.teardown?.endedBy);
    expect(alive(qemuPid)).toBe(false);
    expect(liveChildren()).toEqual([]);
    const verdict = JSON.parse(await readFile(join(r.dir, "verdict.json"), "utf8"));
    expect(verdict.verdict).toBe("infra");
  }, 10 * 60_000);
});

describe("a kernel that panics at boot", () => {
  it("is booted afresh once, then the attempt is infra naming the panic; both boots' consoles kept; no QEMU left", async () => {
    // init exits at once: the kernel panics ("Attempted to kill init!") and QEMU exits (-no-reboot)
    const sc: Scenario = {
      ...scenarioSchema.parse({ name: "init-exits", guest: { cmdline: ["init=/bin/false"] }, steps: [{ name: "x", run: "true" }], expect: { outcome: "clean", signatures: [] } }),
      file: "(inline)",
    };
    const store = await tempStore();
    const t0 = Date.now();
    const r = await runAttempt({ scenario: sc, attempt: 1, dir: store.attemptDir(sc.name, 1), plan, sink: bus });
    expect(r.verdict).toBe("infra");
    expect(r.reason).toMatch(/^boot aborted: the machine exited \(code 0\) \(the console shows: kernel panic: Attempted to kill init!/);
    expect(r.bootFailures).toEqual([{ reason: r.reason, dir: join(r.dir, "boot-failure-1") }]);
    for (const d of [r.dir, join(r.dir, "boot-failure-1")]) expect(await readFile(join(d, "console.log"), "utf8")).toMatch(/Kernel panic - not syncing: Attempted to kill init!/);
    expect(events.some((e) => e.type === "log" && e.level === "warn" && /init-exits#1: the machine did not come up.*booting it afresh/.test(e.message))).toBe(true);
    expect(liveChildren()).toEqual([]);
    process.stderr.write(`[e2e] two boots that panic: ${Date.now() - t0} ms\n`);
  }, 5 * 60_000);
});

describe("console flood", () => {
  it("a guest flooding its console neither stalls hangar nor grows its memory; the attempt ends on time", async () => {
    const sc: Scenario = {
      ...scenarioSchema.parse({
        name: "flood",
        steps: [
          {
            name: "flood",
            // Straight to the serial port, as fast as the guest can write.
            run: "end=$(($(date +%s) + 25)); while [ $(date +%s) -lt $end ]; do seq 1 20000 | sed 's/^/flood line /' > /dev/ttyS0; done",
            timeout: "2m",
          },
        ],
        deadline: "5m",
        expect: { outcome: "clean", signatures: [] },
      }),
      file: "(inline)",
    };
    const store = await tempStore();
    const heapBefore = process.memoryUsage().heapUsed;
    let heapPeak = heapBefore;
    const probe = setInterval(() => (heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)), 200);
    let lastTick = Date.now();
    let worstLag = 0;
    // The event loop keeps turning while the console floods.
    const lag = setInterval(() => {
      worstLag = Math.max(worstLag, Date.now() - lastTick - 100);
      lastTick = Date.now();
    }, 100);
    try {
      const r = await runAttempt({ scenario: sc, attempt: 1, dir: store.attemptDir(sc.name, 1), plan, sink: bus });
      expect(r.verdict, r.reason).toBe("clean");
      const size = (await stat(join(r.dir, "console.log"))).size;
      expect(size).toBeGreaterThan(1 << 20);
      expect(r.durationMs).toBeLessThan(5 * 60_000);
      expect(heapPeak - heapBefore).toBeLessThan(256 << 20);
      expect(worstLag).toBeLessThan(2_000);
      expect(liveChildren()).toEqual([]);
    } finally {
      clearInterval(probe);
      clearInterval(lag);
    }
  }, 10 * 60_000);
});

describe("teardown escalation", () => {
  it("a guest that ignores poweroff is ended by QMP quit after the poweroff deadline; nothing is left running", async () => {
    const sc: Scenario = {
      ...scenarioSchema.parse({
        name: "deaf-to-poweroff",
        // systemctl and poweroff become no-ops: the graceful step asks, and nothing happens.
        steps: [{ name: "ignore-poweroff", run: "mount --bind /bin/true /usr/bin/systemctl && mount --bind /bin/true /usr/sbin/poweroff" }],
        expect: { outcome: "clean", signatures: [] },
      }),
      file: "(inline)",
    };
    const store = await tempStore();
    const r = await runAttempt({ scenario: sc, attempt: 1, dir: store.attemptDir(sc.name, 1), plan, sink: bus });
    expect(r.verdict, r.reason).toBe("clean");
    expect(r.teardown?.steps[0]).toMatchObject({ step: "poweroff", ok: false });
    expect(r.teardown?.endedBy).toBe("qmp-quit");
    expect(liveChildren()).toEqual([]);
  }, 5 * 60_000);
});

describe("sysrq through QMP", () => {
  it("reaches a live guest's kernel without SSH: sysrq-w lands in the console", async () => {
    const sc = scenarioSchema.parse({ name: "sysrq", steps: [{ name: "x", run: "true" }], expect: { outcome: "clean", signatures: [] } });
    const store = await tempStore();
    const session = await startSession({ scenario: { ...sc, file: "(inline)" }, plan, sink: bus, dir: store.attemptDir("sysrq", 1) });
    const m = session.ctx.machine;
    try {
      await m.sysrq("w");
      const deadline = Date.now() + 30_000;
      let text = "";
      while (Date.now() < deadline && !/sysrq: Show Blocked State/.test(text)) {
        await new Promise((r) => setTimeout(r, 500));
        text = await readFile(m.consoleLog, "utf8");
      }
      expect(text).toMatch(/sysrq: Show Blocked State/);
    } finally {
      await session.close();
    }
    expect(liveChildren()).toEqual([]);
  }, 5 * 60_000);
});
