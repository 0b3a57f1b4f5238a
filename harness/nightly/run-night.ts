/**
 * `hangar nightly`: every scenario on every kernel for its attempts, compared with the previous
 * night, written with its pages; the regression hook when it regressed. Everything that can be
 * wrong with the input (known-issues file, --baseline, kernel names) fails before a guest boots.
 */
import { hostname } from "node:os";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { errorMessage, guarded, UserInputError, type EventBus } from "../common/index.ts";
import { ConfigError, type Scenario } from "../config/index.ts";
import { FragmentError, KernelIdError, PatchFileError, SourceError } from "../kernel/index.ts";
import { ResultStore, type RunSummary } from "../results/index.ts";
import { exitCodeFor, prepareBoot, type AttemptExecutor, type BootPlan } from "../run/index.ts";
import { DEFAULT_ALPHA } from "./compare.ts";
import { readHistory } from "./history.ts";
import { runRegressionHook, type HookResult } from "./hook.ts";
import { hostJobs } from "./jobs.ts";
import { kernelPathFor, type KernelSpec } from "./kernels.ts";
import { loadKnownIssues, type KnownIssues } from "./known-issues.ts";
import { ignoredSignatures, runMatrix, type MatrixKernel } from "./matrix.ts";
import { finishNight, resolveBaseline, NIGHT_PAGE } from "./night.ts";
import type { NightKernel, NightSummary } from "./types.ts";

export interface NightlyOptions {
  suite: string;
  scenarios: Scenario[];
  kernels: KernelSpec[];
  results: string;
  jobs: number | "auto";
  attempts?: number;
  accel: "auto" | "kvm" | "tcg";
  /** From checkNightlyInputs. */
  inputs: NightlyInputs;
  alpha?: number;
  onRegression?: string[];
  bus: EventBus;
  /** Runs each attempt: `runAttempt` by default; the farm's executor with --redis (docs/farm.md). */
  executor?: AttemptExecutor;
  /** Tests: the boot plan of a kernel without building an image. */
  prepare?: (o: { kernelPath?: string; accel: "auto" | "kvm" | "tcg" }) => Promise<BootPlan>;
}

export interface NightlyInputs {
  /** The night to compare with; none on a first night. */
  baseline?: string;
  known?: KnownIssues;
}

const isUsageError = (err: unknown) =>
  err instanceof UserInputError || err instanceof ConfigError || err instanceof KernelIdError || err instanceof FragmentError || err instanceof PatchFileError || err instanceof SourceError;

/** The known-issues file and `--baseline` (latest, none or a run id), checked before anything slow: bad ones are exit 2. */
export async function checkNightlyInputs(o: { results: string; baseline: string; knownIssues?: string; warn?: (m: string) => void }): Promise<NightlyInputs> {
  const known = o.knownIssues ? await loadKnownIssues(o.knownIssues) : undefined;
  const baseline = resolveBaseline(await readHistory(o.results, o.warn), o.baseline, o.results);
  return { ...(baseline ? { baseline } : {}), ...(known ? { known } : {}) };
}

export async function runNightly(o: NightlyOptions): Promise<{ summary: NightSummary; hook?: HookResult }> {
  const { bus } = o;
  const { known, baseline } = o.inputs;
  await mkdir(o.results, { recursive: true });
  bus.emit({ type: "log", level: "info", message: baseline ? `baseline: night ${baseline}` : "no baseline: a first night" });

  const night = new ResultStore(o.results);
  await night.init(bus);
  const startedAt = new Date().toISOString();
  bus.emit({ type: "log", level: "info", message: `night ${night.runId}: ${o.scenarios.length} scenario(s) × ${o.kernels.length} kernel(s) → ${night.dir}` });

  // Kernels first, one at a time (a kernel build is the heaviest job of all; cache hits after the first night).
  const fragments = [...new Set(o.scenarios.flatMap((s) => s.kernel.fragments))];
  const kernels: (MatrixKernel & { info: NightKernel })[] = [];
  for (const k of o.kernels) {
    const store = new ResultStore(night.dir, k.key);
    await store.init();
    const info: NightKernel = { key: k.key, spec: k.spec };
    try {
      const kernelPath = await guarded((signal) => kernelPathFor(k, { fragments, sink: bus, signal }));
      const plan = await (o.prepare ?? ((x) => prepareBoot({ sink: bus, ...x })))({ accel: o.accel, ...(kernelPath ? { kernelPath } : {}) });
      if (plan.kernel.version) info.version = plan.kernel.version;
      info.booted = plan.kernel.id ?? plan.kernel.kernel;
      kernels.push({ key: k.key, plan, store, info });
    } catch (err) {
      if (isUsageError(err)) throw err;
      info.error = errorMessage(err);
      bus.emit({ type: "log", level: "error", message: `kernel ${k.key} (${k.spec}): ${info.error}; its cells are infra` });
      kernels.push({ key: k.key, error: info.error, store, info });
    }
  }

  let jobs: number;
  if (o.jobs === "auto") {
    const auto = await hostJobs(o.scenarios.map((s) => s.guest));
    bus.emit({ type: "log", level: "info", message: `-j auto: ${auto.why}` });
    jobs = auto.jobs;
  } else jobs = o.jobs;

  // Ctrl-C / SIGTERM: nothing new starts, running guests are torn down, and the night is still
  // written (marked interrupted) before hangar exits 130 / 143.
  const summary = await guarded(async (signal) => {
    const cells = await runMatrix({ kernels, scenarios: o.scenarios, jobs, ...(o.attempts ? { attempts: o.attempts } : {}), sink: bus, signal, ...(o.executor ? { attempt: o.executor } : {}) });
    const interrupted = signal.aborted;
    const runs = [];
    for (const k of kernels) {
      const mine = cells.filter((c) => c.kernel === k.key);
      const scenarios = mine.map((c) => c.summary);
      const run: RunSummary = {
        runId: k.key,
        suite: o.suite,
        startedAt,
        finishedAt: new Date().toISOString(),
        dir: k.store.dir,
        host: { accel: k.plan?.accel ?? o.accel, qemu: k.plan?.qemuVersion ?? "", hostname: hostname() },
        kernel: { source: k.plan?.kernel.source ?? "unavailable", path: k.plan?.kernel.kernel ?? k.info.spec, ...(k.info.version ? { version: k.info.version } : {}) },
        image: { id: k.plan?.image.id ?? "", path: k.plan?.image.rootfs ?? "" },
        scenarios,
        ...(interrupted ? { interrupted } : {}),
        exitCode: exitCodeFor(scenarios),
      };
      await k.store.writeSummary(run);
      const ignored = new Map(mine.flatMap((c) => c.results.map((r) => [`${c.scenario.name}#${r.attempt}`, ignoredSignatures(r)] as const)));
      runs.push({ info: k.info, run, ignored: (s: string, a: number) => ignored.get(`${s}#${a}`) ?? new Set<string>() });
    }
    return finishNight({
      root: o.results,
      runId: night.runId,
      dir: night.dir,
      suite: o.suite,
      startedAt,
      kernels: runs,
      ...(baseline ? { baseline } : {}),
      ...(known ? { known } : {}),
      alpha: o.alpha ?? DEFAULT_ALPHA,
      ...(interrupted ? { interrupted } : {}),
      sink: bus,
    });
  });
  bus.emit({ type: "log", level: "info", message: `night ${summary.runId}: ${join(summary.dir, NIGHT_PAGE)}` });
  if (summary.exitCode === 1 && o.onRegression?.length) {
    const hook = await runRegressionHook(o.onRegression, { summaryPath: join(summary.dir, "nightly.json"), runId: summary.runId, sink: bus });
    return { summary, hook };
  }
  return { summary };
}
