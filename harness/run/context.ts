/** What the phases of one attempt share: the scenario, the machine, the watchdog, and the result as it grows. */
import { errorMessage, lastLines, sleep, timeout, type EventSink } from "../common/index.ts";
import { createReportStream } from "../detect/index.ts";
import { markCommand } from "../guest/index.ts";
import type { Scenario } from "../config/index.ts";
import type { PressureEvidence } from "../guest/index.ts";
import { createQemuMachine, type ExecResult, type KernelLogFollower, type KernelLogStatus, type Machine, type MachineFactory, type TeardownReport } from "../vm/index.ts";
import { guestSpecFor, type BootPlan } from "./boot-plan.ts";
import type { LayerRecord } from "./storage-stage.ts";
import type { PressureStage } from "./pressure-stage.ts";
import { defaultWatchdog, unlessAborted, Watchdog, type WatchdogOptions } from "./watchdog.ts";

export interface StepRecord {
  name: string;
  phase: string;
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
  stdoutTail: string;
  stderrTail: string;
  /** Times the step was attached again after its SSH connection dropped (absent when never). */
  reattached?: number;
}

/** What the phases find out, in the order they find it (becomes part of the attempt's result). */
export interface AttemptFacts {
  bootMs?: number;
  kernelRelease?: string;
  missingOptions?: string[];
  /** Detector settings as applied in the guest (and those the kernel lacks). */
  detectors?: { sysctl: Record<string, string | number>; params: Record<string, string> };
  storage: LayerRecord[];
  steps: StepRecord[];
  pressure?: PressureEvidence;
  watchdog?: { tripped: string; detail: string; sysrq: string[] };
  kernelLog?: KernelLogStatus;
  teardown?: TeardownReport;
}

export interface AttemptContext {
  readonly sc: Scenario;
  readonly attempt: number;
  /** `<scenario>#<attempt>`, for events. */
  readonly name: string;
  readonly plan: BootPlan;
  readonly machine: Machine;
  readonly sink: EventSink;
  readonly watchdog: Watchdog;
  readonly facts: AttemptFacts;
  /** Environment every step sees (disks, modules, storage outputs). */
  env: Record<string, string>;
  /** Mount point per filesystem layer. */
  mounts: Record<string, string>;
  pressure?: PressureStage;
  /** Releases the built kernel's in-use mark (taken at boot). */
  releaseKernel?: () => Promise<void>;
  /** Called once the machine runs commands (tests inject faults here). */
  onMachineReady?: (m: Machine) => void | Promise<void>;
  kernelLog?: KernelLogFollower;
  /** Where the kernel log followed over SSH is written. */
  writeKernelLog: (line: string) => void;
  /** Run a guest command with a deadline; rejects as soon as the watchdog trips. */
  exec(cmd: string, timeoutMs: number, o?: ExecAgain): Promise<GuestResult>;
  /** Write a phase marker into the guest's kernel log (best effort). */
  mark(fields: Record<string, string | number>): Promise<void>;
}

/** What a dropped SSH connection under a command leads to. */
export interface ExecAgain {
  /**
   * Run this after the connection is re-made (within the first command's deadline, a few
   * times at most): `true` for the same command (one that is safe to repeat), or a command
   * that attaches to a detached one. Without it, a lost connection fails the attempt as infra.
   */
  again?: string | true;
  /** What to name in the infra reason ("a guest command" by default). */
  what?: string;
}

export type GuestResult = ExecResult & { /** Times `again` ran after a lost connection (absent when never). */ reattached?: number };

/** Times a command is run again after its SSH connection dropped before the attempt gives up as infra. */
const AGAIN_TRIES = 5;

export interface ContextOptions {
  scenario: Scenario;
  attempt: number;
  name: string;
  dir: string;
  plan: BootPlan;
  sink: EventSink;
  writeKernelLog: (line: string) => void;
  watchdog?: Partial<Omit<WatchdogOptions, "deadlineAt">>;
  machineFactory?: MachineFactory;
  onMachineReady?: (machine: Machine) => void | Promise<void>;
}

/**
 * A machine for the scenario (not started yet), its watchdog (deadline from now), live report
 * detection on its console (reports become events as the guest prints them), and the helpers
 * phases use to talk to it.
 */
export function createAttemptContext(o: ContextOptions): AttemptContext {
  const { scenario: sc, sink, name } = o;
  const machine = (o.machineFactory ?? createQemuMachine)(guestSpecFor(sc, o.plan, { name, workDir: o.dir, sink }));
  const live = createReportStream();
  const seen = new Set<string>();
  machine.onConsoleLine((line) => {
    for (const r of live.push(line)) {
      if (seen.has(r.signature)) continue;
      seen.add(r.signature);
      sink.emit({ type: "report", guest: name, kind: r.kind, title: r.title });
    }
  });
  const watchdog = new Watchdog(machine, { ...defaultWatchdog(o.plan.accel), ...o.watchdog, deadlineAt: Date.now() + sc.deadline }, sink);
  // A refused or dropped connection is a lost one (code null); the watchdog cuts every wait short.
  const once = (cmd: string, timeoutMs: number) =>
    unlessAborted(
      machine.exec(cmd, { timeoutMs }).catch((err: Error): ExecResult => ({ code: null, timedOut: false, stdout: "", stderr: errorMessage(err), durationMs: 0 })),
      watchdog.signal,
    );
  const exec = async (cmd: string, timeoutMs: number, o: ExecAgain = {}): Promise<GuestResult> => {
    const what = o.what ?? "a guest command";
    const t0 = Date.now();
    let r = await once(cmd, timeoutMs);
    const again = o.again === true ? cmd : o.again;
    let tries = 0;
    while (r.code === null && !r.timedOut) {
      if (again === undefined || tries === AGAIN_TRIES) return connectionLost(watchdog, what);
      tries++;
      sink.emit({ type: "log", level: "warn", message: `${name}: ssh connection lost during ${what} (${lastLines(r.stderr) || "no status"}); running it again (${tries}/${AGAIN_TRIES})` });
      await unlessAborted(sleep(timeout("lostConnectionPause") * tries), watchdog.signal);
      const left = t0 + timeoutMs - Date.now();
      if (left <= 0) return connectionLost(watchdog, what);
      r = await once(again, left);
    }
    return tries ? { ...r, durationMs: Date.now() - t0, reattached: tries } : r;
  };
  return {
    sc,
    attempt: o.attempt,
    name,
    plan: o.plan,
    machine,
    sink,
    watchdog,
    facts: { storage: [], steps: [] },
    env: {},
    mounts: {},
    writeKernelLog: o.writeKernelLog,
    exec,
    mark: async (fields) => {
      // Step markers are rendered by their step events; only phase changes are phase events.
      if (fields.step === undefined) sink.emit({ type: "phase", guest: name, phase: String(fields.phase) });
      await exec(markCommand(fields), timeout("guestShort")).catch(() => {});
    },
    ...(o.onMachineReady ? { onMachineReady: o.onMachineReady } : {}),
  };
}

/**
 * The SSH connection dropped under a command: a glitch (a keepalive lost under load) or a dead
 * guest. Give the watchdog its window to tell them apart (it aborts the wait when the guest is
 * gone), then fail with what happened.
 */
export async function connectionLost(watchdog: Watchdog, what: string): Promise<never> {
  await unlessAborted(sleep(watchdog.window), watchdog.signal);
  throw new Error(`ssh connection lost during ${what} (the guest still answers heartbeats)`);
}
