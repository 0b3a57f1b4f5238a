/**
 * The real CommitTester: builds a commit with the kernel builder (which exports the commit
 * with a private index: the user's checkout is never touched) and runs the scenario's
 * attempts through the orchestrator. A build failure is a skip; so are infrastructure
 * failures (per run) and missing kernel options (for the commit). A hit is only a report that
 * matches the target signature: the tester reports which expected signatures matched and the
 * titles of the other reports, and the driver decides with the target it knows.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { errorMessage, type EventSink } from "../common/index.ts";
import type { Scenario } from "../config/index.ts";
import { KernelBuildError, buildKernel } from "../kernel/index.ts";
import { matchesExpectation } from "../match/index.ts";
import { prepareBoot, runAttempt, type AttemptExecutor, type AttemptOptions, type AttemptResult, type BootPlan } from "../run/index.ts";
import type { BuildOutcome, CommitTester, RunOutcome } from "./driver.ts";

export async function sha256File(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest("hex");
}

/** One attempt's result as the bisect sees it: the expected signatures that matched, the other reports, or why it is a skip. */
export function classifyAttempt(r: Pick<AttemptResult, "verdict" | "reason" | "reports" | "dir" | "durationMs">, sc: Pick<Scenario, "expect">): RunOutcome {
  const base = { dir: r.dir, durationMs: r.durationMs, matched: [] as string[], other: [] as string[] };
  if (r.verdict === "skipped") return { ...base, status: "untestable", reason: r.reason ?? "the kernel cannot run the scenario" };
  if (r.verdict === "infra") return { ...base, status: "infra", reason: r.reason ?? "infrastructure failure" };
  const sigs = sc.expect.signatures;
  const matched = sigs.filter((e) => r.reports.some((rep) => matchesExpectation(rep, e).ok)).map((e) => e.name);
  const other = r.reports
    .filter((rep) => !sigs.some((e) => matchesExpectation(rep, e).ok) && !(sc.expect.ignore ?? []).some((e) => matchesExpectation(rep, e).ok))
    .map((rep) => rep.title);
  return { ...base, status: "ran", matched, other, ...(r.reason ? { reason: r.reason } : {}) };
}

/**
 * One line for the table and the ledger: the last line of the tool's output quoted in the
 * error (the compiler's or make's own complaint), not the long make command line.
 */
export function buildFailureReason(message: string): string {
  const lines = message.split("\n").map((l) => l.trim()).filter(Boolean);
  const told = lines.filter((l) => !/^\((full )?log/.test(l) && !l.startsWith("# ") && !l.startsWith("$ ") && !/^make(\[\d+\])?: (Entering|Leaving) directory/.test(l));
  const last = told.length > 1 ? told.at(-1)! : (lines[0] ?? "build failed");
  return last.length > 200 ? last.slice(0, 197) + "…" : last;
}

export interface KernelBuildSpec {
  git: string;
  patches: string[];
  fragments: string[];
  sink: EventSink;
}

/** Build one commit; a KernelBuildError is an untestable commit, anything else hangar's own failure. */
export async function buildCommit(spec: KernelBuildSpec, sha: string, signal?: AbortSignal): Promise<BuildOutcome & { kernelPath?: string }> {
  const t0 = Date.now();
  try {
    const r = await buildKernel({ git: spec.git, rev: sha, patches: spec.patches, fragments: spec.fragments, sink: spec.sink, ...(signal ? { signal } : {}) });
    return { ok: true, kernelId: r.kernel.meta.id, imageHash: await sha256File(r.kernel.kernel), durationMs: Date.now() - t0, kernelPath: r.kernel.kernel };
  } catch (err) {
    if (err instanceof KernelBuildError && !signal?.aborted) {
      return { ok: false, reason: buildFailureReason(errorMessage(err)), durationMs: Date.now() - t0, ...(err.logPath ? { log: err.logPath } : {}) };
    }
    throw err;
  }
}

export interface KernelTesterOptions extends KernelBuildSpec {
  scenario: Scenario;
  /** Attempt folders go to <dir>/commits/<sha12>/attempt-<n>. */
  dir: string;
  accel: "auto" | "kvm" | "tcg";
  /** Tests: the boot plan of a kernel id, and the machine (a fake). */
  plan?: (kernelId: string) => Promise<BootPlan>;
  machineFactory?: AttemptOptions["machineFactory"];
  /** Tests: how a commit is built (default: the kernel builder). */
  build?: (sha: string, signal?: AbortSignal) => Promise<BuildOutcome>;
  /** Runs each attempt: `runAttempt` by default; the farm's executor with --redis (docs/farm.md). */
  executor?: AttemptExecutor;
}

export function attemptDir(dir: string, sha: string, attempt: number): string {
  return join(dir, "commits", sha.slice(0, 12), `attempt-${attempt}`);
}

export function kernelTester(o: KernelTesterOptions): CommitTester {
  const kernels = new Map<string, string>();
  const plans = new Map<string, Promise<BootPlan>>();
  const build = o.build ?? ((sha: string, signal?: AbortSignal) => buildCommit(o, sha, signal));
  const planFor = (kernelId: string) => {
    let p = plans.get(kernelId);
    if (!p) {
      p = o.plan ? o.plan(kernelId) : prepareBoot({ sink: o.sink, accel: o.accel, kernelPath: kernelId });
      p.catch(() => plans.delete(kernelId));
      plans.set(kernelId, p);
    }
    return p;
  };
  return {
    async build(sha, signal) {
      const b = await build(sha, signal);
      if (b.ok) kernels.set(sha, b.kernelId ?? b.imageHash);
      return b;
    },
    async run(sha, attempt, signal) {
      let kernelId = kernels.get(sha);
      if (!kernelId) {
        // A resumed bisect: the kernel is in the cache, the build is a cache hit.
        const b = await this.build(sha, signal);
        if (!b.ok) return { status: "untestable", reason: `build failed: ${b.reason}`, matched: [], other: [] };
        kernelId = kernels.get(sha)!;
      }
      const plan = await planFor(kernelId);
      // A folder left by a run that was interrupted before the ledger recorded it: start clean.
      const dir = attemptDir(o.dir, sha, attempt);
      await rm(dir, { recursive: true, force: true });
      const r = await (o.executor ?? runAttempt)({
        scenario: o.scenario,
        attempt,
        dir,
        plan,
        sink: o.sink,
        ...(signal ? { signal } : {}),
        ...(o.machineFactory ? { machineFactory: o.machineFactory } : {}),
      });
      return classifyAttempt(r, o.scenario);
    },
  };
}
