/**
 * The bisect driver: git lines, kernel builds and runs on one side, the pure policy on the
 * other. It asks the policy what to do, does it through an injected CommitTester (the real
 * one builds and boots; tests pass a simulated one), and appends every fact to the ledger
 * before acting on it.
 *
 * Merges: the search walks the first-parent line from good to bad. When the culprit found
 * there is a merge, it searches inside: the merged branch's first-parent line from the fork
 * point (good: an ancestor of the merge's good first parent) to the merge itself; if every
 * commit of the branch is good the merge is the culprit (the two sides only break together).
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { UserInputError, type EventSink } from "../common/index.ts";
import { writeGitBisectLog } from "./bisect-log.ts";
import { Book, stateOf, type Line } from "./book.ts";
import type { GitRepo } from "./git.ts";
import { appendEvent, readLedger, LEDGER_FORMAT, type BisectInputs, type LedgerEvent, type RunStatus } from "./ledger.ts";
import { makePolicy, type UserPolicyName } from "./policies.ts";
import { isUntestable, type Decision, type Next, type PolicyOptions } from "./policy-types.ts";

export type BuildOutcome = { ok: true; kernelId?: string; imageHash: string; durationMs?: number } | { ok: false; reason: string; log?: string; durationMs?: number };

export interface RunOutcome {
  status: RunStatus;
  /** Names of the scenario's expected signatures that matched a report of the run. */
  matched: string[];
  /** Titles of the other reports. */
  other: string[];
  reason?: string;
  dir?: string;
  durationMs?: number;
}

/** How a commit is built and run. The real one builds a kernel and boots guests; tests simulate. */
export interface CommitTester {
  build(sha: string, signal?: AbortSignal): Promise<BuildOutcome>;
  run(sha: string, attempt: number, signal?: AbortSignal): Promise<RunOutcome>;
}

export interface BisectOptions {
  repo: GitRepo;
  inputs: BisectInputs;
  id: string;
  /** results/<id>/: ledger.jsonl, bisect.log, reports. */
  dir: string;
  policy: UserPolicyName;
  policyOptions: PolicyOptions;
  tester: CommitTester;
  resume: boolean;
  sink: EventSink;
  signal?: AbortSignal;
}

export interface BisectOutcome {
  book: Book;
  decision: Decision;
  /** The line and level the decision was made on. */
  line: Line;
  culprit?: string;
  range?: string[];
  /** Posterior confidence across levels (product when the search went into merges). */
  confidence?: number;
  ledger: string;
  bisectLog: string;
}

export const LEDGER_FILE = "ledger.jsonl";
export const BISECT_LOG_FILE = "bisect.log";

const now = () => new Date().toISOString();

export async function runBisect(o: BisectOptions): Promise<BisectOutcome> {
  const ledger = join(o.dir, LEDGER_FILE);
  const bisectLog = join(o.dir, BISECT_LOG_FILE);
  const book = new Book();
  const policy = makePolicy(o.policy, o.policyOptions);
  const log = (message: string) => o.sink.emit({ type: "log", level: "info", message });
  const record = async (e: LedgerEvent) => {
    await appendEvent(ledger, e);
    book.apply(e);
  };

  if (o.resume) {
    const events = await readLedger(ledger);
    const start = events[0] as Extract<LedgerEvent, { type: "start" }>;
    const diff = differingInput(start.inputs, o.inputs);
    if (diff) throw new UserInputError(`${ledger}: this bisect was started with ${diff}; resume it with the same arguments, or start a new one`);
    for (const e of events) book.apply(e);
    await record({ type: "resume", at: now() });
    log(`bisect ${o.id}: resumed from ${ledger} (${events.length} events)`);
  } else {
    if (existsSync(ledger)) throw new UserInputError(`${ledger} exists: add --resume to continue that bisect, or remove ${o.dir} to start over`);
    await mkdir(o.dir, { recursive: true });
    await record({ type: "start", format: LEDGER_FORMAT, at: now(), id: o.id, inputs: o.inputs });
  }

  if (!book.lines.length) {
    if (o.inputs.good === o.inputs.bad) throw new UserInputError(`--good and --bad are the same commit (${o.inputs.good.slice(0, 12)})`);
    if (!(await o.repo.isAncestor(o.inputs.good, o.inputs.bad))) {
      throw new UserInputError(`--good ${o.inputs.good.slice(0, 12)} is not an ancestor of --bad ${o.inputs.bad.slice(0, 12)}: bisect needs a good commit in the bad commit's history`);
    }
    const commits = await o.repo.firstParentLine(o.inputs.good, o.inputs.bad);
    await record({ type: "line", at: now(), level: 0, commits });
    log(`bisect ${o.id}: ${commits.length - 2} commit(s) between the endpoints on the first-parent line`);
  }

  /** Product over levels of each level's latest decision confidence (a resumed bisect keeps the outer levels'). */
  const overall = () => {
    let c = 1;
    for (const l of book.lines) {
      const d = book.decisions.filter((x) => x.level === l.level).at(-1)?.decision;
      if (d && "confidence" in d && Number.isFinite(d.confidence)) c *= d.confidence;
    }
    return c;
  };
  for (;;) {
    o.signal?.throwIfAborted();
    const line = book.lines.at(-1)!;
    const next = policy.next(stateOf(book, line));
    await writeGitBisectLog(bisectLog, book, o.repo, undefined);
    if (next.kind === "test") {
      await test(line, next);
      continue;
    }
    const d = next.decision;
    const at = (i: number) => line.commits[i]!;
    await record({
      type: "decision",
      at: now(),
      level: line.level,
      decision: d,
      ...(d.kind === "culprit" || d.kind === "budget" ? { commit: at(d.index) } : {}),
      ...(d.kind === "range" ? { first: at(d.first), last: at(d.last) } : {}),
    });
    if (d.kind === "culprit") {
      const sha = at(d.index);
      const isLast = d.index === line.commits.length - 1 && line.merge === sha;
      const inner = isLast || book.lines.some((l) => l.merge === sha) ? undefined : await o.repo.mergedBranchLine(sha);
      if (inner) {
        log(`bisect ${o.id}: culprit ${sha.slice(0, 12)} is a merge; searching the ${inner.length - 2} commit(s) it brought in`);
        await record({ type: "line", at: now(), level: line.level + 1, merge: sha, commits: inner });
        continue;
      }
      await writeGitBisectLog(bisectLog, book, o.repo, sha);
      return { book, decision: d, line, culprit: sha, confidence: overall(), ledger, bisectLog };
    }
    await writeGitBisectLog(bisectLog, book, o.repo, undefined);
    const range = d.kind === "range" ? line.commits.slice(d.first, d.last + 1) : undefined;
    return { book, decision: d, line, ...(range ? { range } : {}), ...("confidence" in d ? { confidence: overall() } : {}), ledger, bisectLog };
  }

  async function test(line: Line, next: Extract<Next, { kind: "test" }>): Promise<void> {
    const sha = line.commits[next.index]!;
    const rec = book.record(sha);
    o.sink.emit({ type: "progress", step: "bisect.step", message: `${sha.slice(0, 12)} (${next.index}/${line.commits.length - 1}): ${next.why}` });
    if (!rec.build) {
      const t0 = Date.now();
      const b = await o.tester.build(sha, o.signal);
      o.signal?.throwIfAborted();
      const durationMs = b.durationMs ?? Date.now() - t0;
      await record(
        b.ok
          ? { type: "build", at: now(), sha, ok: true, imageHash: b.imageHash, durationMs, ...(b.kernelId ? { kernelId: b.kernelId } : {}) }
          : { type: "build", at: now(), sha, ok: false, reason: b.reason, durationMs, ...(b.log ? { log: b.log } : {}) },
      );
      if (!b.ok) {
        log(`bisect: ${sha.slice(0, 12)} does not build (skipped): ${b.reason}`);
        return;
      }
      const twin = identicalNeighbour(book, line, next.index);
      if (twin) {
        const from = book.record(twin);
        await record({ type: "inherit", at: now(), sha, from: twin, runs: from.inherited.length + from.runs.length });
        log(`bisect: ${sha.slice(0, 12)} builds a kernel byte-identical to ${twin.slice(0, 12)}'s: it takes over its ${from.inherited.length + from.runs.length} run(s)`);
        return;
      }
    }
    let newHits = 0;
    let done = 0;
    while (done < next.runs) {
      const group = Math.min(o.policyOptions.jobs, next.runs - done);
      const attempts = Array.from({ length: group }, () => ++rec.attempts);
      const results = await Promise.all(attempts.map((a) => o.tester.run(sha, a, o.signal).then((r) => ({ a, r }))));
      o.signal?.throwIfAborted();
      for (const { a, r } of results) {
        if (book.target === undefined && r.status === "ran" && r.matched.length && sha === book.lines[0]!.commits.at(-1)) {
          await record({ type: "target", at: now(), signature: r.matched[0]!, sha, attempt: a });
          log(`bisect: target signature "${r.matched[0]}" (the first expected signature seen at the bad endpoint)`);
        }
        await record({
          type: "run",
          at: now(),
          sha,
          attempt: a,
          status: r.status,
          matched: r.matched,
          other: r.other,
          durationMs: r.durationMs ?? 0,
          ...(r.reason ? { reason: r.reason } : {}),
          ...(r.dir ? { dir: r.dir } : {}),
        });
        const ev = rec.runs.at(-1)!;
        if (book.isHit(ev)) newHits++;
      }
      done += group;
      if (isUntestable(book.counts(sha))) return;
      if (next.stopAfterHits !== undefined && newHits >= next.stopAfterHits) return;
    }
  }
}

/** The nearest built commit on each side in the line; the first whose kernel has the same hash and some runs. */
function identicalNeighbour(book: Book, line: Line, index: number): string | undefined {
  const hash = book.record(line.commits[index]!).build?.imageHash;
  if (!hash) return undefined;
  for (const step of [-1, 1]) {
    for (let j = index + step; j >= 0 && j < line.commits.length; j += step) {
      const r = book.records.get(line.commits[j]!);
      if (!r?.build?.ok) continue;
      if (r.build.imageHash === hash && r.runs.length + r.inherited.length > 0) return r.sha;
      break;
    }
  }
  return undefined;
}

/** The first input that differs between a ledger and a new invocation, for the message. */
function differingInput(a: BisectInputs, b: BisectInputs): string | undefined {
  for (const k of Object.keys({ ...a, ...b }) as (keyof BisectInputs)[]) {
    if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) return `${k} = ${JSON.stringify(a[k])} (now ${JSON.stringify(b[k])})`;
  }
  return undefined;
}

