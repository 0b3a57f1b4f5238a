import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { errorMessage, timeout, writeJsonAtomic, type EventSink } from "../common/index.ts";
import type { Scenario } from "../config/index.ts";
import type { Report } from "../detect/index.ts";
import { describeEvidence } from "../guest/index.ts";
import type { MatchResult } from "../match/index.ts";
import { FILES, type AttemptVerdict } from "../results/index.ts";
import type { Machine, MachineFactory } from "../vm/index.ts";
import type { BootPlan } from "./boot-plan.ts";
import { withFreshBoots, type BootFailure } from "./boot-retry.ts";
import { createAttemptContext, type AttemptFacts, type StepRecord } from "./context.ts";
import { failedBoot, judge } from "./judge.ts";
import { parseAttemptLogs } from "./logs.ts";
import { runPhases, type PhaseOutcome } from "./phases/index.ts";
import type { WatchdogOptions } from "./watchdog.ts";

export type { StepRecord };

export interface AttemptResult extends AttemptFacts {
  scenario: string;
  attempt: number;
  verdict: AttemptVerdict;
  reason?: string;
  dir: string;
  reports: Report[];
  match?: MatchResult;
  /** Each phase's outcome, in order: what ran, what did not, and why. */
  phases: PhaseOutcome[];
  /** Boots that failed before this attempt's machine came up (see BOOT_RETRIES): why, and where their files went. */
  bootFailures?: BootFailure[];
  startedAt: string;
  durationMs: number;
}

export interface AttemptOptions {
  scenario: Scenario;
  attempt: number;
  dir: string;
  plan: BootPlan;
  sink: EventSink;
  /** Overrides for tests (shorter heartbeats). */
  watchdog?: Partial<Omit<WatchdogOptions, "deadlineAt">>;
  /** Called once the machine runs commands (tests inject faults here, e.g. SIGSTOP QEMU). */
  onMachineReady?: (machine: Machine) => void | Promise<void>;
  /** The machine implementation (default QEMU; tests pass a fake). */
  machineFactory?: MachineFactory;
  /** Aborts the attempt (Ctrl-C): phases are cut short, the machine is torn down, the verdict is `infra`. */
  signal?: AbortSignal;
}

/**
 * One attempt: the phases in order (phases/index.ts), then the logs parsed and the verdict
 * judged. It always ends in a verdict: when hangar itself fails (a full disk, a path it cannot
 * make) the attempt is `infra` with the reason, and the run goes on.
 */
export async function runAttempt(o: AttemptOptions): Promise<AttemptResult> {
  const t0 = Date.now();
  let result: AttemptResult;
  try {
    result = await bootingAfresh(o, t0);
    await writeAttemptFiles(result).catch((err) => {
      // Judged, but not recorded: that is hangar's failure, and says where.
      result.reason = `results not written: ${errorMessage(err)}${result.reason ? `; ${result.reason}` : ""}`;
      result.verdict = "infra";
    });
  } catch (err) {
    const reason = `hangar failed: ${errorMessage(err)}`;
    result = { scenario: o.scenario.name, attempt: o.attempt, verdict: "infra", reason, dir: o.dir, reports: [], storage: [], steps: [], phases: [], startedAt: new Date(t0).toISOString(), durationMs: Date.now() - t0 };
  }
  o.sink.emit({ type: "verdict", scenario: o.scenario.name, attempt: o.attempt, verdict: result.verdict, ...(result.reason ? { detail: result.reason } : {}) });
  return result;
}

/** attemptOnce, booted afresh while its machine did not come up (see BOOT_RETRIES). */
async function bootingAfresh(o: AttemptOptions, t0: number): Promise<AttemptResult> {
  const { result, failures } = await withFreshBoots(
    { dir: o.dir, sink: o.sink, name: `${o.scenario.name}#${o.attempt}`, signal: o.signal },
    () => attemptOnce(o, t0),
    (r) => (r.verdict === "infra" && failedBoot(r.phases) ? r.reason ?? "?" : undefined),
  );
  if (failures.length) result.bootFailures = failures;
  result.durationMs = Date.now() - t0;
  return result;
}

async function attemptOnce(o: AttemptOptions, t0: number): Promise<AttemptResult> {
  const sc = o.scenario;
  const name = `${sc.name}#${o.attempt}`;
  await mkdir(o.dir, { recursive: true });
  const dmesgPath = join(o.dir, FILES.dmesg);
  const dmesg = openKernelLog(dmesgPath);
  const ctx = createAttemptContext({ ...o, name, writeKernelLog: dmesg.write });
  const { machine, watchdog } = ctx;
  const onInterrupt = () => watchdog.trip({ kind: "interrupted", detail: "interrupted (the run is being stopped)" });
  if (o.signal?.aborted) onInterrupt();
  o.signal?.addEventListener("abort", onInterrupt, { once: true });

  const phases = await runPhases(ctx);
  watchdog.stop();
  o.signal?.removeEventListener("abort", onInterrupt);
  const dmesgError = await dmesg.close();
  if (dmesgError) phases.push({ phase: "collect", status: "failed", reason: `writing the kernel log failed: ${dmesgError}`, ms: 0 });

  // Judge from both logs: the console (all the kernel printed, teardown included) and the SSH kernel log.
  const logs = await parseAttemptLogs(machine.consoleLog, dmesgPath, timeout("finalParse"));
  // A log too large to parse within the budget: a clean verdict would claim what was not read.
  if (logs.incomplete.length) phases.push({ phase: "collect", status: "unproven", reason: `not all of the logs were parsed: ${logs.incomplete.join("; ")}`, ms: 0 });
  const verdict = judge(phases, logs.reports, sc.expect);
  return {
    scenario: sc.name,
    attempt: o.attempt,
    ...verdict,
    dir: o.dir,
    reports: logs.reports,
    ...ctx.facts,
    phases,
    startedAt: new Date(t0).toISOString(),
    durationMs: Date.now() - t0,
  };
}

/** The kernel log file: written line by line; a write error (a full disk) is kept, never thrown. */
function openKernelLog(path: string): { write: (line: string) => void; close: () => Promise<string | undefined> } {
  const out = createWriteStream(path);
  let error: string | undefined;
  out.on("error", (err) => (error ??= `${path}: ${err.message}`));
  return {
    write: (line) => {
      if (!error) out.write(line + "\n");
    },
    close: () => new Promise((resolve) => (error ? resolve(error) : out.end(() => resolve(error)))),
  };
}

/** reports.json, storage.json, pressure.json and verdict.json of one attempt. */
async function writeAttemptFiles(r: AttemptResult): Promise<void> {
  await writeJsonAtomic(join(r.dir, FILES.reports), r.reports);
  if (r.storage.length) await writeJsonAtomic(join(r.dir, FILES.storage), r.storage);
  if (r.pressure) await writeJsonAtomic(join(r.dir, FILES.pressure), { ...r.pressure, summary: describeEvidence(r.pressure) });
  await writeJsonAtomic(join(r.dir, FILES.verdict), { ...r, reports: r.reports.map((x) => ({ kind: x.kind, title: x.title, signature: x.signature, count: x.count })) });
}
