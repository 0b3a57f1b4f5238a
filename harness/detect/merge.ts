/**
 * Folding repeats: the same report seen several times in one log (a hung task reported every timeout
 * interval), or in both the console and the dmesg log of one attempt.
 */
import type { Report } from "./types.ts";

/**
 * Reports with the same key are one report. Hung tasks also key on the pid, so two different tasks
 * stuck at the same place stay two reports (with the same signature).
 */
export function dedupKey(r: Report): string {
  return r.kind === "hung-task" && r.task ? `${r.signature}#${r.task.pid}` : r.signature;
}

/** How complete a report is: not corrupted first, then the longer text. */
export function completenessOf(corrupted: boolean, textLength: number): number {
  return (corrupted ? 0 : 1_000_000) + Math.min(textLength, 999_999);
}

function completeness(r: Report): number {
  return completenessOf(r.corrupted, r.text.length);
}

export function minDef(a?: number, b?: number): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}
export function maxDef(a?: number, b?: number): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}

function fold(a: Report, b: Report): Report {
  const base = completeness(b) > completeness(a) ? b : a;
  const out: Report = { ...base, count: Math.max(a.count, b.count) };
  const first = minDef(a.firstTimestamp, b.firstTimestamp);
  const last = maxDef(a.lastTimestamp, b.lastTimestamp);
  if (first !== undefined) out.firstTimestamp = first;
  if (last !== undefined) out.lastTimestamp = last;
  return out;
}

/**
 * Dedupe reports from one or more lists (e.g. console.log and dmesg.log of one attempt): one report per
 * key, in order of first appearance; the more complete text is kept (not corrupted, then longer);
 * `count` is the largest count seen (each list counts its own repeats), time range is the union.
 * The input reports are not modified.
 */
export function mergeReports(...lists: Report[][]): Report[] {
  const byKey = new Map<string, Report>();
  for (const list of lists) {
    for (const r of list) {
      const k = dedupKey(r);
      const prev = byKey.get(k);
      byKey.set(k, prev ? fold(prev, r) : r);
    }
  }
  return [...byKey.values()];
}
