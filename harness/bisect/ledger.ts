/**
 * `results/<bisect-id>/ledger.jsonl`: every build, run and decision of a bisect, one JSON
 * object a line, appended as it happens. `--resume` replays it: the counts, the target
 * signature, the searched lines and the attempt numbers come back exactly, and the pure
 * policy asks the next question the interrupted bisect would have asked.
 */
import { appendFile, readFile } from "node:fs/promises";
import { UserInputError } from "../common/index.ts";
import type { Decision } from "./policy-types.ts";

export const LEDGER_FORMAT = 1;

/** What a bisect is about: a resumed bisect must match it. */
export interface BisectInputs {
  git: string;
  good: string;
  bad: string;
  scenario: string;
  /** --signature, when given. */
  signature?: string;
  policy: string;
  confidence: number;
  patches: string[];
  fragments: string[];
}

export type RunStatus = "ran" | "infra" | "untestable";

export type LedgerEvent =
  | { type: "start"; format: number; at: string; id: string; inputs: BisectInputs }
  | { type: "resume"; at: string }
  /** A line of commits to search (level 0: the first-parent line; deeper: inside a merge). */
  | { type: "line"; at: string; level: number; merge?: string; commits: string[] }
  | { type: "target"; at: string; signature: string; sha: string; attempt: number }
  | { type: "build"; at: string; sha: string; ok: boolean; kernelId?: string; imageHash?: string; reason?: string; log?: string; durationMs: number }
  /** A noop commit: its kernel is byte-identical to a tested neighbour's, whose runs it takes over. */
  | { type: "inherit"; at: string; sha: string; from: string; runs: number }
  | {
      type: "run";
      at: string;
      sha: string;
      attempt: number;
      status: RunStatus;
      /** Expected signatures (names) that matched a report of this run. */
      matched: string[];
      /** Titles of the other kernel reports (noise: never a verdict). */
      other: string[];
      reason?: string;
      dir?: string;
      durationMs: number;
    }
  | { type: "decision"; at: string; level: number; decision: Decision; commit?: string; first?: string; last?: string }
  | { type: "done"; at: string; exitCode: number };

/**
 * The wall time a ledger accounts for, over every invocation: from each start or resume to the
 * last event before the next one (the time between a Ctrl-C and its --resume does not count).
 */
export function ledgerWallMs(events: readonly LedgerEvent[]): number {
  let total = 0;
  let from: number | undefined;
  let last = 0;
  for (const e of events) {
    const t = Date.parse(e.at);
    if (e.type === "start" || e.type === "resume") {
      if (from !== undefined) total += last - from;
      from = t;
    }
    last = t;
  }
  return from === undefined ? 0 : total + last - from;
}

export async function appendEvent(path: string, e: LedgerEvent): Promise<void> {
  await appendFile(path, JSON.stringify(e) + "\n");
}

/** Every complete line of the ledger; a torn last line (killed mid-write) is dropped. A bad line elsewhere is an error naming it. */
export async function readLedger(path: string): Promise<LedgerEvent[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new UserInputError(`${path}: no ledger to resume (start the bisect without --resume)`);
    throw err;
  }
  const lines = text.split("\n");
  const out: LedgerEvent[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (!l.trim()) continue;
    try {
      const e = JSON.parse(l) as LedgerEvent;
      if (typeof e !== "object" || e === null || typeof e.type !== "string") throw new Error("not an event object");
      out.push(e);
    } catch (err) {
      const last = lines.slice(i + 1).every((x) => !x.trim());
      if (last && !text.endsWith("\n")) break;
      throw new UserInputError(`${path}:${i + 1}: not a ledger event (${(err as Error).message}); expected one JSON object per line`);
    }
  }
  const start = out[0];
  if (!start || start.type !== "start") throw new UserInputError(`${path}:1: expected a "start" event first`);
  if (start.format !== LEDGER_FORMAT) throw new UserInputError(`${path}:1: ledger format ${start.format}, this hangar reads format ${LEDGER_FORMAT}`);
  return out;
}
