import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { EventBus, repoRoot, retryUntil, type TimedEvent } from "../../harness/common/index.ts";
import { ensureHost } from "../../harness/cli/host-requirements.ts";
import { ResultStore } from "../../harness/results/index.ts";
import { loadScenario, scaleDurations } from "../../harness/config/index.ts";
import { prepareBoot, runAttempt, type AttemptResult, type BootPlan } from "../../harness/run/index.ts";
import { listKernels, type CachedKernel } from "../../harness/kernel/index.ts";
import { tempDirs } from "../temp-dirs.ts";

/** An event bus for a real-guest test: every event kept, steps and verdicts printed as `[tag] {...}`. */
export function testBus(tag = "e2e"): { bus: EventBus; events: TimedEvent[] } {
  const bus = new EventBus();
  const events: TimedEvent[] = [];
  bus.on((e) => {
    events.push(e);
    if (process.env.HANGAR_TEST_VERBOSE || e.type === "step" || e.type === "verdict") {
      process.stderr.write(`[${tag}] ${JSON.stringify(e)}\n`);
    }
  });
  return { bus, events };
}

/**
 * `.ci/run` builds the kernels that some tests boot while the other test files run, and names
 * in $HANGAR_CI_KERNEL_BUILD the file where it writes the build's exit status once every kernel
 * is built ("all"); `<that file>.default` gets the default kernel's status as soon as it is
 * built ("default"), so the tests that boot only that kernel need not wait for report 004's.
 * Those tests call this before they look in the cache (they run last: vitest.config.ts).
 * Bounded: 90 min.
 */
async function builtKernelsReady(stage: "default" | "all"): Promise<void> {
  const all = process.env.HANGAR_CI_KERNEL_BUILD;
  if (!all) return;
  const status = stage === "default" ? `${all}.default` : all;
  const t0 = Date.now();
  const text = await retryUntil(`.ci/run's kernel build writing its status to ${status}`, async () => {
    const t = (await readFile(status, "utf8")).trim();
    if (!t) throw new Error("still empty");
    return t;
  }, { deadlineMs: 90 * 60_000, tryMs: 5_000, initialDelayMs: 5_000, maxDelayMs: 5_000 });
  const waited = Math.round((Date.now() - t0) / 1000);
  process.stderr.write(`[e2e] .ci/run's kernel build (${stage === "default" ? "the default kernel" : "every kernel"}) ended with exit ${text}; waited ${waited} s for it\n`);
}

/**
 * The newest cached kernel built from Debian's source that `pred` accepts, once .ci/run's
 * kernel build reached `stage`. A kernel a bisect built from a git tree is never taken: it may
 * hold a bug in its commit, with no patch to say so.
 */
export async function builtKernel(stage: "default" | "all", pred: (k: CachedKernel) => boolean): Promise<CachedKernel | undefined> {
  await builtKernelsReady(stage);
  return (await listKernels()).find((k) => k.meta.source.kind === "debian" && pred(k));
}

/**
 * Real-guest tests share one boot plan: the default image (built on first use), the probed
 * accelerator and Debian's kernel, or `kernelPath` (a kernel from `hangar kernel build`).
 */
export async function realBootPlan(kernelPath?: string, tag = "e2e"): Promise<{ plan: BootPlan; bus: EventBus; events: TimedEvent[] }> {
  const { bus, events } = testBus(tag);
  const missing = await ensureHost(true, (l) => process.stderr.write(`[${tag}] install: ${l}\n`));
  if (missing.length) throw new Error(`host requirements missing: ${missing.map((m) => m.pkg).join(", ")}`);
  const plan = await prepareBoot({ sink: bus, ...(kernelPath ? { kernelPath } : {}) });
  return { plan, bus, events };
}

/** A built-kernel scenario test's own deadline (the attempt has its shorter ones). */
export const PER_SCENARIO_MS = 12 * 60_000;

/**
 * One attempt of a shipped scenario on a kernel from the cache. An `infra` attempt (hangar could not
 * judge it: the guest stopped answering, a step ran out of time) says nothing about the kernel, so
 * it runs once more, as `hangar prove` counts such attempts for nothing; its reason and the tail of
 * its console go to stderr first, so that a guest that stalls is seen, not hidden.
 */
export async function attemptOn(kernel: CachedKernel, name: string, timeFactor = 1): Promise<AttemptResult> {
  const { plan, bus } = await realBootPlan(kernel.meta.id);
  const first = await scenarioAttempt(plan, bus, name, timeFactor);
  if (first.verdict !== "infra") return first;
  const log = await readFile(join(first.dir, "console.log"), "utf8").catch((e: Error) => `(no console: ${e.message})`);
  process.stderr.write(`[e2e] ${name} on ${kernel.meta.id}: infra (${first.reason}); the console's last lines:\n${log.split("\n").slice(-80).join("\n")}\n[e2e] ${name}: running the attempt once more\n`);
  return scenarioAttempt(plan, bus, name, timeFactor);
}

/** One attempt of a shipped scenario (workloads/NAME.yaml), its durations scaled by `timeFactor`. */
export async function scenarioAttempt(plan: BootPlan, bus: EventBus, name: string, timeFactor = 1): Promise<AttemptResult> {
  const sc = scaleDurations(await loadScenario(workload(`${name}.yaml`)), timeFactor);
  const store = await tempStore();
  return runAttempt({ scenario: sc, attempt: 1, dir: store.attemptDir(sc.name, 1), plan, sink: bus });
}

/** Temp dirs made for this test file (each e2e file has its own module instance). */
const temps = tempDirs();

/** A temp dir removed after the test file. */
export function tempDir(prefix = "hangar-e2e-"): Promise<string> {
  return temps(prefix);
}

export async function tempStore(): Promise<ResultStore> {
  const root = await tempDir("hangar-results-");
  const store = new ResultStore(root);
  await store.init();
  return store;
}

export const workload = (name: string) => join(repoRoot, "workloads", name);

/** True when a process with this pid exists and is not a zombie waiting to be reaped. */
export function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 3, after the parenthesised command name, is the state.
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}
