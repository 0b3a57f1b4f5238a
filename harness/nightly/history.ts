/**
 * The history index: `<results>/history.jsonl`, one JSON line per night with its cells (counts,
 * per-signature hits, state) and its signature titles. The page, the baseline lookup, the
 * maybe-fixed rule and `hangar history` read only this file, never the nights' folders, so they stay
 * fast at 1,000 nights (bench/history.ts measures it). A missing index is rebuilt from the nights'
 * nightly.json files; a damaged line is skipped with a warning.
 */
import { appendFile, readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { withLock } from "../common/lock.ts";
import { writeFileAtomic } from "../common/index.ts";
import type { Cell, CellState, NightKernel, NightSummary, SignatureInfo } from "./types.ts";

export const INDEX_FILE = "history.jsonl";
export const NIGHT_FILE = "nightly.json";

export interface HistoryCell extends Cell {
  state: CellState;
  /** Signatures new / gone against the baseline (badges on the page). */
  new?: string[];
  gone?: string[];
}

export interface HistoryEntry {
  v: 1;
  runId: string;
  startedAt: string;
  finishedAt: string;
  suite: string;
  exitCode: number;
  baseline?: string;
  kernels: NightKernel[];
  signatures: Record<string, SignatureInfo>;
  cells: HistoryCell[];
}

export function entryOf(n: NightSummary): HistoryEntry {
  return {
    v: 1,
    runId: n.runId,
    startedAt: n.startedAt,
    finishedAt: n.finishedAt,
    suite: n.suite,
    exitCode: n.exitCode,
    ...(n.baseline ? { baseline: n.baseline } : {}),
    kernels: n.kernels,
    signatures: n.signatures,
    cells: n.cells.map((c) => {
      const nw = c.changes.filter((x) => x.change === "new").map((x) => x.signature);
      const gone = c.changes.filter((x) => x.change === "gone").map((x) => x.signature);
      return { ...c.cell, state: c.state, ...(nw.length ? { new: nw } : {}), ...(gone.length ? { gone } : {}) };
    }),
  };
}

const indexPath = (root: string) => join(root, INDEX_FILE);

/** Append a night to the index (under a lock: two nightlies may share a results folder). */
export async function appendHistory(root: string, e: HistoryEntry): Promise<void> {
  await withLock(join(root, ".history.lock"), { deadlineMs: 60_000, pollMs: 200, what: "history index" }, () => appendFile(indexPath(root), JSON.stringify(e) + "\n"));
}

export function parseHistory(text: string, warn: (m: string) => void = () => {}): HistoryEntry[] {
  const out: HistoryEntry[] = [];
  let lineNo = 0;
  for (const line of text.split("\n")) {
    lineNo++;
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line) as HistoryEntry;
      if (e.v !== 1 || typeof e.runId !== "string" || !Array.isArray(e.cells)) throw new Error("not a history entry");
      out.push(e);
    } catch (err) {
      warn(`${INDEX_FILE} line ${lineNo}: skipped (${(err as Error).message})`);
    }
  }
  // Run ids start with the UTC time: they sort as the nights ran.
  return out.sort((a, b) => a.runId.localeCompare(b.runId));
}

/** Every night in the results folder, oldest first. Rebuilds the index from nightly.json files when it is missing. */
export async function readHistory(root: string, warn: (m: string) => void = () => {}): Promise<HistoryEntry[]> {
  const text = await readFile(indexPath(root), "utf8").catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return undefined;
    throw err;
  });
  if (text !== undefined) return parseHistory(text, warn);
  const entries = await scanNights(root, warn);
  if (entries.length) {
    warn(`${indexPath(root)} was missing: rebuilt from ${entries.length} night(s)`);
    await writeHistory(root, entries);
  }
  return entries;
}

/** Rewrite the index from the nights' own nightly.json files (`hangar history --rebuild`). */
export async function rebuildHistory(root: string, warn: (m: string) => void = () => {}): Promise<HistoryEntry[]> {
  const entries = await scanNights(root, warn);
  await writeHistory(root, entries);
  return entries;
}

async function writeHistory(root: string, entries: HistoryEntry[]): Promise<void> {
  await withLock(join(root, ".history.lock"), { deadlineMs: 60_000, pollMs: 200, what: "history index" }, () =>
    writeFileAtomic(indexPath(root), entries.map((e) => JSON.stringify(e) + "\n").join("")),
  );
}

async function scanNights(root: string, warn: (m: string) => void): Promise<HistoryEntry[]> {
  const names = await readdir(root).catch(() => [] as string[]);
  const out: HistoryEntry[] = [];
  for (const name of names.sort()) {
    const file = join(root, name, NIGHT_FILE);
    const text = await readFile(file, "utf8").catch(() => undefined);
    if (text === undefined) continue;
    try {
      out.push(entryOf(JSON.parse(text) as NightSummary));
    } catch (err) {
      warn(`${file}: skipped (${(err as Error).message})`);
    }
  }
  return out;
}

/**
 * The baseline cell of `kernel`/`scenario`: the cell of the baseline night when it was judged, else
 * of the latest earlier night in which it was (an infra night is no baseline).
 */
export function baselineCell(history: readonly HistoryEntry[], baselineRun: string | undefined, kernel: string, scenario: string): { cell: Cell; runId: string; signatures: Record<string, SignatureInfo> } | undefined {
  if (!baselineRun) return undefined;
  const at = history.findIndex((e) => e.runId === baselineRun);
  for (let i = at; i >= 0; i--) {
    const e = history[i]!;
    const c = e.cells.find((x) => x.kernel === kernel && x.scenario === scenario);
    if (c && c.judged > 0) return { cell: c, runId: e.runId, signatures: e.signatures };
  }
  return undefined;
}

export interface HistoryQuery {
  scenario?: string;
  kernel?: string;
  /** A signature (exact or a prefix of it), or text its title contains (case-insensitive). */
  signature?: string;
  /** Only the last N nights. */
  last?: number;
}

export interface HistoryRow {
  runId: string;
  startedAt: string;
  kernel: string;
  scenario: string;
  state: CellState;
  judged: number;
  infra: number;
  reported: number;
  /** With a signature query: the signature and its hits in this cell. */
  signature?: string;
  title?: string;
  hits?: number;
  new: string[];
  gone: string[];
}

/** Rows for `hangar history`: one per night × cell, or per night × cell × matching signature. */
export function queryHistory(history: readonly HistoryEntry[], q: HistoryQuery): HistoryRow[] {
  const nights = q.last ? history.slice(-q.last) : history;
  const needle = q.signature?.toLowerCase();
  const matchCache = new Map<string, boolean>();
  const sigMatches = (sig: string, info: SignatureInfo | undefined) => {
    let m = matchCache.get(sig);
    if (m === undefined) matchCache.set(sig, (m = !!needle && (sig.startsWith(q.signature!) || !!info?.title.toLowerCase().includes(needle))));
    return m;
  };
  // With a signature: the matching signatures, and the cells that ever showed one of them.
  const sigs = new Map<string, SignatureInfo>();
  const where = new Set<string>();
  if (needle) {
    for (const e of nights) {
      for (const c of e.cells) {
        for (const [sig, h] of Object.entries(c.hits)) {
          if (h > 0 && sigMatches(sig, e.signatures[sig])) {
            sigs.set(sig, e.signatures[sig] ?? { kind: "other", title: sig });
            where.add(`${c.kernel}\0${c.scenario}\0${sig}`);
          }
        }
      }
    }
  }
  const rows: HistoryRow[] = [];
  for (const e of nights) {
    for (const c of e.cells) {
      if (q.scenario && c.scenario !== q.scenario) continue;
      if (q.kernel && c.kernel !== q.kernel) continue;
      const base = { runId: e.runId, startedAt: e.startedAt, kernel: c.kernel, scenario: c.scenario, state: c.state, judged: c.judged, infra: c.infra, reported: c.reported, new: c.new ?? [], gone: c.gone ?? [] };
      if (!needle) {
        rows.push(base);
        continue;
      }
      for (const [sig, info] of sigs) {
        if (!where.has(`${c.kernel}\0${c.scenario}\0${sig}`)) continue;
        rows.push({ ...base, signature: sig, title: info.title, hits: c.hits[sig] ?? 0 });
      }
    }
  }
  return rows;
}
