import { createWriteStream } from "node:fs";
import { mkdir, readFile, stat, open } from "node:fs/promises";
import { join } from "node:path";
import { errorMessage, lastLines, sleep, writeJsonAtomic, type EventSink } from "../common/index.ts";
import { stepTimeoutMs, type Scenario, type Step } from "../config/index.ts";
import { createReportStream, mergeReports, parseReports, type Report } from "../detect/index.ts";
import {
  describeEvidence,
  detectorParams,
  detectorSysctls,
  JOIN_CGROUP,
  KERNEL_CONFIG_COMMAND,
  KERNEL_LOG_DUMP_COMMAND,
  KERNEL_LOG_FOLLOW_COMMAND,
  markCommand,
  moduleParamCommand,
  missingOptions,
  parseKernelConfig,
  stepCommand,
  stepScript,
  sysctlCommand,
  sysrqTriggerCommand,
  GUEST_MODULE_DIR,
  writeFileCommand,
  type PressureEvidence,
} from "../guest/index.ts";
import { matchReports, type MatchResult } from "../match/index.ts";
import type { AttemptVerdict } from "../results/index.ts";
import { Guest, type TeardownReport } from "../vm/index.ts";
import { envName, guestSpecFor, stepEnvironment, type BootPlan } from "./boot-plan.ts";
import { PressureStage } from "./pressure-stage.ts";
import { buildStorage, mountPoints, storageEnvironment, teardownStorage, type LayerRecord } from "./storage-stage.ts";
import { DEFAULT_WATCHDOG, unlessAborted, Watchdog, type WatchdogOptions } from "./watchdog.ts";

export interface StepRecord {
  name: string;
  phase: string;
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
  stdoutTail: string;
  stderrTail: string;
}

export interface AttemptResult {
  scenario: string;
  attempt: number;
  verdict: AttemptVerdict;
  reason?: string;
  dir: string;
  reports: Report[];
  match?: MatchResult;
  steps: StepRecord[];
  startedAt: string;
  durationMs: number;
  bootMs?: number;
  watchdog?: { tripped: string; detail: string; sysrq: string[] };
  teardown?: TeardownReport;
  kernelRelease?: string;
  missingOptions?: string[];
  /** Detector settings as applied in the guest (and those the kernel lacks). */
  detectors?: { sysctl: Record<string, string | number>; params: Record<string, string> };
  storage: LayerRecord[];
  pressure?: PressureEvidence;
}

export interface AttemptOptions {
  scenario: Scenario;
  attempt: number;
  dir: string;
  plan: BootPlan;
  sink: EventSink;
  /** Overrides for tests (shorter heartbeats). */
  watchdog?: Partial<Omit<WatchdogOptions, "deadlineAt">>;
  /** Called once SSH is up (tests use it to inject faults, e.g. SIGSTOP QEMU). */
  onGuestReady?: (guest: Guest) => void | Promise<void>;
}

const BOOT_DEADLINE_MS = 180_000;
const TAIL = 4096;
const tail = (s: string) => (s.length > TAIL ? s.slice(-TAIL) : s);

/** One attempt: boot, arm detectors, run the steps by phase, cool down, collect, tear down, judge. */
export async function runAttempt(o: AttemptOptions): Promise<AttemptResult> {
  const { scenario: sc, sink } = o;
  const t0 = Date.now();
  const name = `${sc.name}#${o.attempt}`;
  await mkdir(o.dir, { recursive: true });
  const result: AttemptResult = {
    scenario: sc.name,
    attempt: o.attempt,
    verdict: "infra",
    dir: o.dir,
    reports: [],
    steps: [],
    storage: [],
    startedAt: new Date(t0).toISOString(),
    durationMs: 0,
  };
  const guest = new Guest(guestSpecFor(sc, o.plan, { name, workDir: o.dir, sink }));
  // Live detection on the console: reports show up as events while the guest runs.
  const live = createReportStream();
  const seen = new Set<string>();
  guest.console.onLine((line) => {
    for (const r of live.push(line)) {
      if (seen.has(r.signature)) continue;
      seen.add(r.signature);
      sink.emit({ type: "report", guest: name, kind: r.kind, title: r.title });
    }
  });
  const wdOpts = { ...DEFAULT_WATCHDOG, ...o.watchdog, deadlineAt: t0 + sc.deadline };
  const watchdog = new Watchdog(guest, wdOpts, sink);
  // Longest the watchdog needs to declare a silent guest unresponsive.
  const watchdogWindow = wdOpts.misses * (wdOpts.heartbeatEveryMs + wdOpts.heartbeatTimeoutMs) + 5_000;
  const dmesgPath = join(o.dir, "dmesg.log");
  const dmesgOut = createWriteStream(dmesgPath);
  let follower: { stop: () => void; done: Promise<void> } | undefined;
  let failure: string | undefined;
  let skipped: string | undefined;
  let stepTimeout: string | undefined;

  const exec = (cmd: string, timeoutMs: number) => unlessAborted(guest.exec(cmd, { timeoutMs }), watchdog.signal);
  const mark = async (fields: Record<string, string | number>) => {
    // Step markers are rendered by their step events; only phase changes are phase events.
    if (fields.step === undefined) sink.emit({ type: "phase", guest: name, phase: String(fields.phase) });
    await exec(markCommand(fields), 15_000).catch(() => {});
  };

  try {
    sink.emit({ type: "step", step: "vm.boot", status: "start", detail: name });
    await guest.start();
    watchdog.start();
    await unlessAborted(guest.waitSsh(Math.min(BOOT_DEADLINE_MS, sc.deadline), watchdog.signal), watchdog.signal);
    result.bootMs = guest.sshReadyAt - guest.startedAt;
    sink.emit({ type: "step", step: "vm.boot", status: "done", elapsedMs: result.bootMs, detail: name });
    watchdog.armHeartbeat();
    follower = guest.ssh!.follow(KERNEL_LOG_FOLLOW_COMMAND, (line) => dmesgOut.write(line + "\n"));
    await o.onGuestReady?.(guest);

    const uname = await exec("uname -r", 15_000);
    result.kernelRelease = uname.stdout.trim();
    if (sc.kernel.requires.length) {
      const cfg = await exec(KERNEL_CONFIG_COMMAND, 30_000);
      if (cfg.code !== 0) throw new Error(`cannot read the kernel config: ${cfg.stderr.trim()}`);
      const missing = missingOptions(parseKernelConfig(cfg.stdout), sc.kernel.requires);
      if (missing.length) {
        result.missingOptions = missing;
        skipped = `kernel ${result.kernelRelease} lacks ${missing.join(", ")}`;
      }
    }
    const modules = skipped ? {} : await installModules();
    if (!skipped) {
      const sysctls = detectorSysctls(sc.detectors, o.plan.accel);
      const sysctl = sysctlCommand(sysctls);
      if (sysctl) {
        const r = await exec(sysctl, 15_000);
        if (r.code !== 0) throw new Error(`detector sysctls failed: ${r.stderr.trim() || `exit ${r.code}`}`);
      }
      result.detectors = { sysctl: sysctls, params: {} };
      for (const p of detectorParams(sc.detectors, o.plan.accel)) {
        const r = await exec(moduleParamCommand(p), 15_000);
        result.detectors.params[p.name] = r.stdout.trim() || `failed: ${r.stderr.trim() || `exit ${r.code}`}`;
      }
      const env = { ...stepEnvironment(sc, o.attempt, guest.diskDevices), ...modules };

      await mark({ phase: "setup" });
      const outputs = await buildStorage(sc.storage, guest.diskDevices, exec, result.storage, (layer) =>
        mark({ phase: "setup", step: `storage.${layer.name}` }),
      );
      Object.assign(env, storageEnvironment(outputs, sc.storage));
      const mounts = mountPoints(outputs);
      await runPhase("setup", env, mounts);

      if (!stepTimeout) {
        await mark({ phase: "workload" });
        const pressure = new PressureStage(sc.pressure, exec);
        try {
          await pressure.start();
          await runPhase("workload", env, mounts);
        } finally {
          // An unresponsive guest (watchdog tripped) has no evidence to give.
          result.pressure = watchdog.reason ? undefined : await pressure.stop().catch((err) => {
            sink.emit({ type: "log", level: "warn", message: `${name}: pressure evidence not collected: ${errorMessage(err)}` });
            return undefined;
          });
        }
      }
      // The cooldown always happens: detectors need time after the workload. After a stuck
      // step only the wait remains; the stuck step's stack will not come down cleanly.
      await mark({ phase: "cooldown" });
      if (!stepTimeout) await runPhase("cooldown", env, mounts);
      await unlessAborted(sleep(sc.cooldown), watchdog.signal);
      if (!stepTimeout && sc.storage.length) {
        await mark({ phase: "teardown" });
        await teardownStorage(sc.storage, result.storage, exec);
      }
      await mark({ phase: "collect" });
    }
  } catch (err) {
    if (!watchdog.reason) failure = errorMessage(err);
  } finally {
    watchdog.stop();
  }

  /** Copy the scenario's test modules into the guest; sets `skipped` when the kernel has none built. */
  async function installModules(): Promise<Record<string, string>> {
    const env: Record<string, string> = {};
    for (const m of sc.kernel.modules) {
      const ko = o.plan.kernel.modules?.[m];
      if (!ko) {
        skipped = `kernel ${result.kernelRelease} has no test module ${m} (kernels from \`hangar kernel build\` carry vm-images/modules/*)`;
        return env;
      }
      const remote = `${GUEST_MODULE_DIR}/${m}.ko`;
      const r = await unlessAborted(guest.exec(writeFileCommand(remote), { timeoutMs: 60_000, input: await readFile(ko) }), watchdog.signal);
      if (r.code !== 0) throw new Error(`copying module ${m} into the guest failed: ${r.timedOut ? "timed out" : r.stderr.trim() || `exit ${r.code}`}`);
      env[envName("MODULE", m)] = remote;
    }
    return env;
  }

  /**
   * Run a phase's steps in order; background steps run alongside and are waited for at the
   * end. A step past its deadline dumps blocked tasks and ends the phase (stepTimeout is set).
   */
  async function runPhase(phase: Step["phase"], env: Record<string, string>, mounts: Record<string, string>): Promise<void> {
    const pending: Promise<StepRecord | Error>[] = [];
    const check = async (step: Step, rec: StepRecord) => {
      result.steps.push(rec);
      if (rec.timedOut) {
        if (stepTimeout) return;
        stepTimeout = `step "${step.name}" did not finish within ${stepTimeoutMs(step) / 1000} s`;
        sink.emit({ type: "log", level: "warn", message: `${name}: ${stepTimeout}; dumping blocked tasks` });
        await exec(sysrqTriggerCommand("w"), 15_000).catch(() => guest.sysrq("w").catch(() => {}));
      } else if (rec.exitCode !== 0 && !step.mayFail) {
        throw new Error(`step "${step.name}" exited ${rec.exitCode}: ${lastLines(rec.stderrTail)}`);
      }
    };
    const steps = sc.steps.filter((s) => s.phase === phase);
    try {
      for (const step of steps) {
        const run = runStep(step, env, mounts);
        if (step.background) {
          pending.push(run.then((rec) => check(step, rec).then(() => rec)).catch((err: Error) => err));
          continue;
        }
        await check(step, await run);
        if (stepTimeout) break;
      }
    } finally {
      // Background steps end by their own duration or deadline; wait for them before going on.
      const settled = await Promise.all(pending);
      const failed = settled.find((x): x is Error => x instanceof Error);
      if (failed) throw failed;
    }
  }

  async function runStep(step: Step, env: Record<string, string>, mounts: Record<string, string>): Promise<StepRecord> {
    await mark({ phase: step.phase, step: step.name });
    sink.emit({ type: "step", step: `guest.step.${step.name}`, status: "start", detail: name });
    const inCgroup = step.cgroup ?? (step.phase === "workload" && !!sc.pressure?.cgroup);
    const script = (inCgroup ? JOIN_CGROUP + "\n" : "") + stepScript(step, mounts);
    const r = await unlessAborted(guest.exec(stepCommand(script, env), { timeoutMs: stepTimeoutMs(step) }), watchdog.signal);
    if (r.code === null && !r.timedOut) {
      // The SSH connection dropped under the step: let the watchdog tell a dead guest from a glitch.
      await unlessAborted(sleep(watchdogWindow), watchdog.signal);
      throw new Error(`ssh connection lost during step "${step.name}" (the guest still answers heartbeats)`);
    }
    sink.emit({
      type: "step",
      step: `guest.step.${step.name}`,
      status: r.timedOut || r.code !== 0 ? "fail" : "done",
      elapsedMs: r.durationMs,
      detail: r.timedOut ? "timed out" : `exit ${r.code}`,
    });
    return {
      name: step.name,
      phase: step.phase,
      exitCode: r.code,
      timedOut: r.timedOut,
      durationMs: r.durationMs,
      stdoutTail: tail(r.stdout),
      stderrTail: tail(r.stderr),
    };
  }

  // A tripped watchdog: capture blocked-task stacks through QMP (works without SSH), then tear down.
  if (watchdog.reason) {
    const sysrqLog: string[] = [];
    if (guest.running) {
      for (const key of ["w", "t"]) {
        try {
          await guest.sysrq(key);
          sysrqLog.push(`sysrq-${key}: sent via QMP send-key`);
          await sleep(4_000);
        } catch (err) {
          sysrqLog.push(`sysrq-${key}: failed: ${errorMessage(err)}`);
        }
      }
    } else sysrqLog.push("sysrq: QEMU had already exited");
    for (const l of sysrqLog) sink.emit({ type: "log", level: "info", message: `${name}: ${l}` });
    result.watchdog = { tripped: watchdog.reason.kind, detail: watchdog.reason.detail, sysrq: sysrqLog };
  } else if (follower && guest.ssh?.connected) {
    // Give the follower a moment to drain what the kernel printed last.
    await sleep(500);
  }

  follower?.stop();
  result.teardown = await guest.teardown({ graceful: !watchdog.reason });
  await new Promise<void>((r) => dmesgOut.end(r));

  // Judge from both logs: the console (all the kernel printed) and the SSH kernel log.
  const consoleText = await readCapped(guest.consoleLog);
  const dmesgText = await readCapped(dmesgPath);
  result.reports = mergeReports(parseReports(consoleText), parseReports(dmesgText));
  result.durationMs = Date.now() - t0;
  judge(result, sc, { failure, skipped, stepTimeout, watchdogReason: watchdog.reason?.detail });
  await writeJsonAtomic(join(o.dir, "reports.json"), result.reports);
  if (result.storage.length) await writeJsonAtomic(join(o.dir, "storage.json"), result.storage);
  if (result.pressure) await writeJsonAtomic(join(o.dir, "pressure.json"), { ...result.pressure, summary: describeEvidence(result.pressure) });
  await writeJsonAtomic(join(o.dir, "verdict.json"), { ...result, reports: result.reports.map((r) => ({ kind: r.kind, title: r.title, signature: r.signature, count: r.count })) });
  sink.emit({ type: "verdict", scenario: sc.name, attempt: o.attempt, verdict: result.verdict, ...(result.reason ? { detail: result.reason } : {}) });
  return result;
}

/** Reports decide when there are any; otherwise infrastructure trouble makes the attempt `infra`. */
function judge(
  r: AttemptResult,
  sc: Scenario,
  why: { failure?: string; skipped?: string; stepTimeout?: string; watchdogReason?: string },
): void {
  if (why.skipped) {
    r.verdict = "skipped";
    r.reason = why.skipped;
    return;
  }
  r.match = matchReports(r.reports, sc.expect);
  const noPressure =
    r.pressure?.asked && !r.pressure.shown ? `pressure was asked for but none was measured (${describeEvidence(r.pressure)})` : undefined;
  const infra = why.failure ?? why.watchdogReason ?? why.stepTimeout ?? noPressure;
  if (r.match.verdict === "clean" && infra) {
    r.verdict = "infra";
    r.reason = infra;
    return;
  }
  r.verdict = r.match.verdict;
  if (infra) r.reason = `${infra} (after kernel reports were found)`;
}

/** Read a log for parsing, keeping at most the last `max` bytes of a flooded one. */
async function readCapped(path: string, max = 256 << 20): Promise<string> {
  const st = await stat(path).catch(() => undefined);
  if (!st) return "";
  if (st.size <= max) return readFile(path, "utf8");
  const fh = await open(path, "r");
  try {
    const buf = Buffer.alloc(max);
    await fh.read(buf, 0, max, st.size - max);
    return buf.toString("utf8");
  } finally {
    await fh.close();
  }
}
