/**
 * The bisect's memory, rebuilt from ledger events: the same `apply` runs live and on
 * `--resume`, so a resumed bisect sees exactly what the interrupted one saw.
 */
import type { BisectInputs, LedgerEvent, RunStatus } from "./ledger.ts";
import { emptyCounts, type BisectState, type CommitCounts, type Decision } from "./policy-types.ts";

export type RunEvent = Extract<LedgerEvent, { type: "run" }>;
export type BuildEvent = Extract<LedgerEvent, { type: "build" }>;

export interface CommitRecord {
  sha: string;
  build?: BuildEvent;
  runs: RunEvent[];
  /** Runs taken over from a neighbour whose kernel is byte-identical (a noop commit). */
  inherited: RunEvent[];
  inheritedFrom?: string;
  /** Highest attempt number used for this commit. */
  attempts: number;
}

export interface Line {
  level: number;
  merge?: string;
  commits: string[];
}

export class Book {
  readonly records = new Map<string, CommitRecord>();
  readonly lines: Line[] = [];
  readonly decisions: { level: number; decision: Decision }[] = [];
  inputs?: BisectInputs;
  id?: string;
  target?: string;
  startedAt?: string;
  done = false;

  record(sha: string): CommitRecord {
    let r = this.records.get(sha);
    if (!r) {
      r = { sha, runs: [], inherited: [], attempts: 0 };
      this.records.set(sha, r);
    }
    return r;
  }

  apply(e: LedgerEvent): void {
    switch (e.type) {
      case "start":
        this.inputs = e.inputs;
        this.id = e.id;
        this.startedAt = e.at;
        if (e.inputs.signature) this.target = e.inputs.signature;
        break;
      case "line":
        this.lines.push({ level: e.level, commits: e.commits, ...(e.merge ? { merge: e.merge } : {}) });
        break;
      case "target":
        this.target = e.signature;
        break;
      case "build":
        this.record(e.sha).build = e;
        break;
      case "inherit": {
        const r = this.record(e.sha);
        const from = this.record(e.from);
        r.inherited = [...from.inherited, ...from.runs].slice(0, e.runs);
        r.inheritedFrom = e.from;
        break;
      }
      case "run": {
        const r = this.record(e.sha);
        r.runs.push(e);
        r.attempts = Math.max(r.attempts, e.attempt);
        break;
      }
      case "decision":
        this.decisions.push({ level: e.level, decision: e.decision });
        break;
      case "done":
        this.done = true;
        break;
      case "resume":
        break;
    }
  }

  /** Is this run a hit on the target signature? */
  isHit(run: RunEvent): boolean {
    return run.status === "ran" && this.target !== undefined && run.matched.includes(this.target);
  }

  /** The counts a policy sees for a commit: hits only on the target signature; other reports are noise. */
  counts(sha: string): CommitCounts {
    const r = this.records.get(sha);
    const c = emptyCounts();
    if (!r) return c;
    if (r.build) c.built = r.build.ok;
    if (r.build && !r.build.ok) c.untestable = `build failed: ${r.build.reason ?? "see the build log"}`;
    for (const run of [...r.inherited, ...r.runs]) countRun(c, run, this.target);
    return c;
  }
}

function countRun(c: CommitCounts, run: RunEvent, target: string | undefined): void {
  const status: RunStatus = run.status;
  if (status === "infra") c.infra++;
  else if (status === "untestable") c.untestable ??= run.reason ?? "the kernel cannot run the scenario";
  else {
    c.runs++;
    if (target !== undefined && run.matched.includes(target)) c.hits++;
    else if (run.other.length || run.matched.length) c.noise++;
  }
}

/** The policy's view of a line: counts per position, and what is known from outer levels. */
export function stateOf(book: Book, line: Line): BisectState {
  const inLine = new Set(line.commits);
  let hits = 0;
  let misses = 0;
  for (const sha of book.records.keys()) {
    if (inLine.has(sha)) continue;
    const c = book.counts(sha);
    if (c.hits > 0) {
      hits += c.hits;
      misses += c.runs - c.hits;
    }
  }
  return {
    commits: line.commits.map((s) => book.counts(s)),
    ...(line.level > 0 ? { goodKnown: true, badKnown: true } : {}),
    ...(hits ? { pEvidence: { hits, misses } } : {}),
  };
}

