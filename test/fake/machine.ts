/**
 * A scripted machine for orchestrator tests: console lines, exec results, hangs, SSH drops, a
 * guest that never boots, one that floods or wedges. It implements the same `Machine`
 * interface as QEMU, writes its console log like QEMU does (the attempt judges from it), and
 * keeps a record of what the orchestrator asked of it. It is for orchestration logic only,
 * never a stand-in for a behaviour a real guest can show (test/e2e does that).
 */
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sleep } from "../../harness/common/index.ts";
import type {
  ExecOptions,
  ExecResult,
  KernelLogFollower,
  KernelLogStatus,
  Machine,
  MachineExit,
  MachineFactory,
  MachineSpec,
  TeardownReport,
} from "../../harness/vm/index.ts";

export interface ExecRule {
  /** Which commands this rule answers (the first matching rule wins). */
  match: RegExp;
  /** Kernel lines printed (console and kernel log) when the command runs. */
  print?: string[];
  code?: number;
  stdout?: string;
  stderr?: string;
  /** The command takes this long. */
  delayMs?: number;
  /** The command never returns: the caller's timeout ends it. */
  hang?: boolean;
  /** The connection drops under the command (code null, not timed out). */
  drop?: boolean;
  /** From this command on the guest answers nothing (commands hang, health checks fail). */
  wedge?: boolean;
  /** The machine exits (as if the kernel panicked and QEMU quit). */
  exit?: boolean;
  /** The rule answers only the first this many commands it matches. */
  times?: number;
}

export interface FakeScript {
  /** Time to boot (default 5 ms). */
  bootMs?: number;
  /** The guest never comes up: boot waits out its deadline. */
  neverBoots?: boolean;
  /**
   * The first this many machines of the factory panic while booting: they print `panicConsole`
   * and exit with code 0 (QEMU with -no-reboot), as a kernel that oopses at boot does.
   */
  panicsAtBoot?: number;
  panicConsole?: string[];
  /** Lines the kernel prints while booting. */
  bootConsole?: string[];
  /** Lines printed at boot in a flood (count), to check nothing stalls. */
  flood?: number;
  rules?: ExecRule[];
  /** Lines the kernel prints while the machine is being torn down. */
  teardownConsole?: string[];
  /** Poweroff is ignored: teardown must escalate. */
  poweroffIgnored?: boolean;
}

export interface FakeRecord {
  commands: string[];
  sysrq: string[];
  teardowns: { graceful: boolean }[];
  booted: boolean;
  healthChecks: number;
  /** The deadline each health check was given. */
  healthCheckTimeouts: number[];
}

const OK: Omit<ExecResult, "durationMs"> = { code: 0, stdout: "", stderr: "", timedOut: false };

export class FakeMachine implements Machine {
  readonly name: string;
  readonly consoleLog: string;
  readonly disks: Record<string, string> = {};
  readonly exited: Promise<MachineExit>;
  private readonly used = new Map<ExecRule, number>();
  readonly record: FakeRecord = { commands: [], sysrq: [], teardowns: [], booted: false, healthChecks: 0, healthCheckTimeouts: [] };
  private resolveExit!: (e: MachineExit) => void;
  private state: "new" | "booting" | "up" | "wedged" | "exited" = "new";
  private readonly consoleListeners = new Set<(l: string) => void>();
  private kernelLogLine: ((l: string) => void) | undefined;
  private kernelLogRecords = 0;
  private seconds = 1;

  constructor(
    readonly spec: MachineSpec,
    private readonly script: FakeScript,
    /** this machine panics at boot (see FakeScript.panicsAtBoot) */
    private readonly panics = false,
  ) {
    this.name = spec.name;
    this.consoleLog = join(spec.workDir, "console.log");
    this.exited = new Promise((r) => (this.resolveExit = r));
    spec.scratch.forEach((d, i) => (this.disks[d.name] = `/dev/vd${"bcdefgh"[i]}`));
  }

  get pid(): number | undefined {
    return undefined;
  }

  get running(): boolean {
    return this.state !== "new" && this.state !== "exited";
  }

  /** The kernel prints lines: to the console log (as QEMU's serial file), console listeners and the kernel log. */
  print(lines: string[]): void {
    const stamped = lines.map((l) => `[${String(this.seconds++).padStart(5)}.000000] ${l}`);
    appendFileSync(this.consoleLog, stamped.map((l) => l + "\n").join(""));
    for (const l of stamped) {
      for (const fn of this.consoleListeners) fn(l);
      if (this.kernelLogLine) {
        this.kernelLogLine(l);
        this.kernelLogRecords++;
      }
    }
  }

  async boot(deadlineMs: number, signal?: AbortSignal): Promise<{ bootMs: number }> {
    mkdirSync(this.spec.workDir, { recursive: true });
    writeFileSync(this.consoleLog, "");
    this.state = "booting";
    const t0 = Date.now();
    this.print(this.script.bootConsole ?? ["Linux version 6.12.0-fake"]);
    if (this.script.flood) this.print(Array.from({ length: this.script.flood }, (_, i) => `flood line ${i}`));
    if (this.panics) {
      this.print(this.script.panicConsole ?? ["Kernel panic - not syncing: fake"]);
      this.exit({ code: 0, signal: null });
      await sleep(deadlineMs, signal);
      throw new Error("boot aborted");
    }
    if (this.script.neverBoots) {
      await sleep(deadlineMs, signal);
      throw new Error(`ssh ready: no answer within ${deadlineMs} ms`);
    }
    await sleep(this.script.bootMs ?? 5, signal);
    if (signal?.aborted) throw new Error("boot aborted");
    this.state = "up";
    this.record.booted = true;
    return { bootMs: Date.now() - t0 };
  }

  async exec(command: string, opts: ExecOptions): Promise<ExecResult> {
    const t0 = Date.now();
    if (this.state === "exited" || this.state === "new") throw new Error(`${this.name}: ssh is not connected`);
    this.record.commands.push(command);
    const rule = this.script.rules?.find((r) => r.match.test(command) && (r.times === undefined || (this.used.get(r) ?? 0) < r.times));
    if (rule) this.used.set(rule, (this.used.get(rule) ?? 0) + 1);
    const done = (r: Omit<ExecResult, "durationMs">): ExecResult => ({ ...r, durationMs: Date.now() - t0 });
    if (rule?.wedge) this.state = "wedged";
    // A dropped connection answers at once, wedged guest or not.
    if (rule?.drop) return done({ ...OK, code: null });
    if (this.state === "wedged" || rule?.hang) {
      if (rule?.print) this.print(rule.print);
      await sleep(opts.timeoutMs);
      return done({ ...OK, code: null, timedOut: true });
    }
    if (rule?.delayMs) await sleep(rule.delayMs);
    if (rule?.print) this.print(rule.print);
    if (rule?.exit) {
      this.exit({ code: 0, signal: null });
      return done({ ...OK, code: null });
    }
    if (/^uname -r$/.test(command)) return done({ ...OK, stdout: "6.12.0-fake\n" });
    return done({ ...OK, code: rule?.code ?? 0, stdout: rule?.stdout ?? "", stderr: rule?.stderr ?? "" });
  }

  onConsoleLine(fn: (line: string) => void): () => void {
    this.consoleListeners.add(fn);
    return () => this.consoleListeners.delete(fn);
  }

  followKernelLog(onLine: (line: string) => void): KernelLogFollower {
    this.kernelLogLine = onLine;
    const status = (): KernelLogStatus => ({ records: this.kernelLogRecords, lastSeq: this.kernelLogRecords - 1, restarts: 0, gaps: [] });
    return {
      status,
      stop: async () => {
        this.kernelLogLine = undefined;
        return status();
      },
    };
  }

  async sysrq(key: string): Promise<void> {
    if (this.state === "exited") throw new Error("no QMP connection");
    this.record.sysrq.push(key);
    if (key === "w") this.print(["sysrq: Show Blocked State"]);
  }

  async healthCheck(timeoutMs: number): Promise<boolean> {
    this.record.healthChecks++;
    this.record.healthCheckTimeouts.push(timeoutMs);
    return this.state === "up";
  }

  private exit(e: MachineExit): void {
    if (this.state === "exited") return;
    this.state = "exited";
    this.resolveExit(e);
  }

  async teardown(o: { graceful?: boolean } = {}): Promise<TeardownReport> {
    const graceful = o.graceful !== false;
    this.record.teardowns.push({ graceful });
    if (this.state === "new") return { endedBy: "not-started", steps: [] };
    if (this.state === "exited") return { endedBy: "exited", steps: [] };
    if (this.script.teardownConsole) this.print(this.script.teardownConsole);
    const steps: TeardownReport["steps"] = [];
    let endedBy: TeardownReport["endedBy"] = "qmp-quit";
    if (graceful && this.state === "up") {
      if (this.script.poweroffIgnored) steps.push({ step: "poweroff", ok: false, detail: "ignored", ms: 1 });
      else endedBy = "poweroff";
    }
    steps.push({ step: endedBy, ok: true, ms: 1 });
    this.exit({ code: 0, signal: null });
    return { endedBy, exitCode: 0, signal: null, steps };
  }
}

/** A factory that scripts every machine the same way and keeps them for inspection. */
export function fakeFactory(script: FakeScript = {}): { factory: MachineFactory; machines: FakeMachine[] } {
  const machines: FakeMachine[] = [];
  return {
    machines,
    factory: (spec) => {
      const m = new FakeMachine(spec, script, machines.length < (script.panicsAtBoot ?? 0));
      machines.push(m);
      return m;
    },
  };
}
