/**
 * `hangar prove`: for each known-bad entry of a scenario, build the control and known-bad
 * kernels (and the stock one), run the attempts on each, judge, and write a proof record.
 */
import { join } from "node:path";
import { guarded, writeJsonAtomic, type EventSink } from "../common/index.ts";
import { scaleDurations, type Scenario } from "../config/index.ts";
import { buildKernel } from "../kernel/index.ts";
import { ResultStore } from "../results/index.ts";
import { prepareBoot, runScenario } from "../run/index.ts";
import { judgeProof, scenarioStatus, tally, type AttemptOutcome, type ProofStatus, type Role, type RoleTally } from "./judge.ts";
import type { KernelSpec, ProofPlan } from "./plan.ts";

export interface RoleRecord extends RoleTally {
  kernel: { id: string; patches: string[]; fragments: string[] };
  outcomes: AttemptOutcome[];
}

/** proof.json of one known-bad entry. */
export interface ProofRecord {
  scenario: string;
  file: string;
  knownBad: string;
  fidelity: string;
  summary: string;
  status: ProofStatus;
  reasons: string[];
  needed: number;
  signatures: string[];
  timeFactor: number;
  bestEffort?: string;
  unavailable?: string;
  knownBadRuns?: RoleRecord;
  control?: RoleRecord;
  /** absent when the control kernel is the stock one */
  stock?: RoleRecord;
  startedAt: string;
  durationMs: number;
}

/** The proof record of one known-bad entry, at <run>/<scenario>/<known-bad>/proof.json (and all of them at <run>/proof.json). */
export const PROOF_FILE = "proof.json";

export interface ScenarioProof {
  scenario: string;
  status: ProofStatus;
  proofs: ProofRecord[];
}

export interface ProveOptions {
  sink: EventSink;
  store: ResultStore;
  accel?: "auto" | "kvm" | "tcg";
  /** overrides every entry's `attempts` (known-bad and control) */
  attempts?: number;
  /** stock attempts (default 1) */
  stockAttempts?: number;
  /** overrides every entry's `time_factor` */
  timeFactor?: number;
  /** infra attempts replaced by new ones, at most this many per kernel (default DEFAULT_REPLACE_INFRA) */
  replaceInfra?: number;
}

/**
 * An `infra` attempt says nothing about the kernel (a TCG boot oops, a guest starved past its
 * heartbeats), but one left among three makes the proof undecided. Replace up to two per kernel,
 * the way bisect treats infra as a skip and runs again.
 */
export const DEFAULT_REPLACE_INFRA = 2;

/** A result store whose attempts go under <run>/<scenario>/<known-bad>/<role>/attempt-N. */
class RoleStore extends ResultStore {
  constructor(
    parent: ResultStore,
    private readonly prefix: string,
  ) {
    super(parent.root, parent.runId);
  }
  override attemptDir(_scenario: string, attempt: number): string {
    return join(this.dir, this.prefix, `attempt-${attempt}`);
  }
}

function outcomesOf(results: Awaited<ReturnType<typeof runScenario>>["results"]): AttemptOutcome[] {
  return results.map((r) => ({
    verdict: r.verdict,
    matched: [...new Set((r.match?.matched ?? []).map((m) => m.expectation))],
    durationMs: r.durationMs,
    ...(r.reason ? { reason: r.reason } : {}),
    dir: r.dir,
  }));
}

/** Build (or find in the cache) one kernel of a proof; returns its id. */
async function buildSpec(spec: KernelSpec, sink: EventSink): Promise<string> {
  const r = await guarded((signal) => buildKernel({ sink, signal, fragments: spec.fragments, patches: spec.patches }));
  return r.kernel.meta.id;
}

/** The kernels a proof needs, built one after the other (one heavy job at a time), without running anything. */
export async function buildProofKernels(plans: ProofPlan[], sink: EventSink): Promise<{ knownBad: string; role: Role; id: string; patches: string[] }[]> {
  const out: { knownBad: string; role: Role; id: string; patches: string[] }[] = [];
  const seen = new Map<string, string>();
  for (const p of plans) {
    if (p.knownBad.unavailable) continue;
    const roles: [Role, KernelSpec][] = [["stock", p.stock], ["control", p.control], ["known-bad", p.bad]];
    for (const [role, spec] of roles) {
      const key = JSON.stringify(spec);
      const id = seen.get(key) ?? (await buildSpec(spec, sink));
      seen.set(key, id);
      out.push({ knownBad: p.knownBad.name, role, id, patches: spec.patches });
    }
  }
  return out;
}

export async function proveScenario(plans: ProofPlan[], o: ProveOptions): Promise<ScenarioProof> {
  const sc = plans[0]!.scenario;
  const kernels = new Map<string, string>(); // spec key → kernel id
  const kernelFor = async (spec: KernelSpec): Promise<string> => {
    const key = JSON.stringify(spec);
    const id = kernels.get(key) ?? (await buildSpec(spec, o.sink));
    kernels.set(key, id);
    return id;
  };
  // Clean-kernel runs shared by entries (two entries without injection have the same control):
  // the same kernel, workload durations and attempt count run once.
  const cleanRuns = new Map<string, RoleRecord>();
  const run = async (scenario: Scenario, spec: KernelSpec, role: Role, kbName: string, attempts: number, signatures: string[], factor: number): Promise<RoleRecord> => {
    const key = JSON.stringify({ spec, factor, attempts });
    const earlier = role !== "known-bad" ? cleanRuns.get(key) : undefined;
    if (earlier) {
      o.sink.emit({ type: "log", level: "info", message: `prove ${sc.name}/${kbName}: ${role} kernel ${earlier.kernel.id}: the same runs as an earlier entry's` });
      return { ...earlier, ...tally(role, earlier.outcomes, signatures) };
    }
    const id = await kernelFor(spec);
    o.sink.emit({ type: "log", level: "info", message: `prove ${sc.name}/${kbName}: ${role} kernel ${id}${spec.patches.length ? ` (${spec.patches.length} patch(es))` : " (no patches)"}, ${attempts} attempt(s)` });
    const plan = await prepareBoot({ sink: o.sink, accel: o.accel ?? "auto", kernelPath: id });
    const { results } = await runScenario(scenario, { plan, store: new RoleStore(o.store, join(sc.name, kbName, role)), sink: o.sink, attempts, replaceInfra: o.replaceInfra ?? DEFAULT_REPLACE_INFRA });
    const outcomes = outcomesOf(results);
    const rec: RoleRecord = { ...tally(role, outcomes, signatures), kernel: { id, patches: spec.patches, fragments: spec.fragments }, outcomes };
    if (role !== "known-bad") cleanRuns.set(key, rec);
    return rec;
  };

  const proofs: ProofRecord[] = [];
  for (const p of plans) {
    const kb = p.knownBad;
    const t0 = Date.now();
    const factor = o.timeFactor ?? kb.time_factor ?? 1;
    const base: ProofRecord = {
      scenario: sc.name,
      file: sc.file,
      knownBad: kb.name,
      fidelity: kb.fidelity,
      summary: kb.summary,
      status: "unavailable",
      reasons: [],
      needed: kb.needed,
      signatures: kb.signatures,
      timeFactor: factor,
      ...(kb.best_effort ? { bestEffort: kb.best_effort } : {}),
      ...(kb.unavailable ? { unavailable: kb.unavailable } : {}),
      startedAt: new Date(t0).toISOString(),
      durationMs: 0,
    };
    if (kb.unavailable) {
      const rec = { ...base, reasons: [`cannot be brought back honestly: ${kb.unavailable}`] };
      proofs.push(rec);
      await writeJsonAtomic(join(o.store.dir, sc.name, kb.name, PROOF_FILE), rec);
      continue;
    }
    const scaled = scaleDurations(sc, factor);
    const n = o.attempts ?? kb.attempts;
    const needed = Math.min(kb.needed, n);
    // Known-bad first: it is the run that can show the scenario is blind.
    const bad = await run(scaled, p.bad, "known-bad", kb.name, n, kb.signatures, factor);
    const control = await run(scaled, p.control, "control", kb.name, n, kb.signatures, factor);
    const stock = p.controlIsStock ? undefined : await run(scaled, p.stock, "stock", kb.name, o.stockAttempts ?? 1, kb.signatures, factor);
    const verdict = judgeProof({ needed, bestEffort: !!kb.best_effort, knownBad: bad, control, ...(stock ? { stock } : {}) });
    const rec: ProofRecord = {
      ...base,
      needed,
      status: verdict.status,
      reasons: verdict.reasons,
      knownBadRuns: bad,
      control,
      ...(stock ? { stock } : {}),
      durationMs: Date.now() - t0,
    };
    proofs.push(rec);
    await writeJsonAtomic(join(o.store.dir, sc.name, kb.name, PROOF_FILE), rec);
    o.sink.emit({ type: "verdict", scenario: `${sc.name}/${kb.name}`, verdict: rec.status, detail: rec.reasons.join("; ") || "proven" });
  }
  return { scenario: sc.name, status: scenarioStatus(proofs.map((r) => r.status)), proofs };
}
