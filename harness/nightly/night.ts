/**
 * The end of a night, from the runs' summaries to everything a nightly user reads: cells, the
 * comparison with the baseline (through the history index), known issues, nightly.json, junit.xml,
 * the log pages with anchors, night.html, the index line and results/index.html.
 * It does no guest work, so the page tests drive it with synthetic runs in seconds.
 */
import { join } from "node:path";
import { UserInputError, writeFileAtomic, writeJsonAtomic, type EventSink } from "../common/index.ts";
import type { RunSummary } from "../results/index.ts";
import { cellOf } from "./cells.ts";
import { compareCell, maybeFixed, nightExitCode, type NightCells } from "./compare.ts";
import { appendHistory, baselineCell, entryOf, NIGHT_FILE, readHistory, type HistoryEntry } from "./history.ts";
import { writeHistoryPage } from "./history-page.ts";
import { nightJUnit } from "./junit.ts";
import { activeIssues, todayUtc, type KnownIssues } from "./known-issues.ts";
import { writeLogPage } from "./log-page.ts";
import { renderNightPage, type AttemptLogs } from "./night-page.ts";
import { CELL_STATES, type Cell, type CellState, type NightKernel, type NightSummary, type SignatureInfo } from "./types.ts";

export const NIGHT_PAGE = "night.html";

/** `--baseline latest|none|RUN-ID` against the index: the run id to compare with, or none (a first night). */
export function resolveBaseline(history: readonly HistoryEntry[], spec: string, resultsRoot: string): string | undefined {
  if (spec === "none") return undefined;
  if (spec === "latest") return history[history.length - 1]?.runId;
  const hit = history.filter((e) => e.runId === spec || e.runId.startsWith(spec));
  if (hit.length === 1) return hit[0]!.runId;
  if (!hit.length) throw new UserInputError(`--baseline ${spec}: no nightly run with that id in ${resultsRoot} (expected latest, none or a run id from \`hangar history\`)`);
  throw new UserInputError(`--baseline ${spec}: ambiguous, matches ${hit.map((e) => e.runId).join(", ")}`);
}

export interface NightKernelRun {
  info: NightKernel;
  /** The kernel's run (summary.json of <night>/<kernel>/). */
  run: RunSummary;
  /** Signatures the scenario's expect.ignore set aside, per scenario and attempt. */
  ignored?: (scenario: string, attempt: number) => ReadonlySet<string>;
}

export interface FinishOptions {
  root: string;
  runId: string;
  dir: string;
  suite: string;
  startedAt: string;
  kernels: readonly NightKernelRun[];
  /** Run id to compare with (resolveBaseline), none on a first night. */
  baseline?: string;
  known?: KnownIssues;
  alpha: number;
  /** Stopped by Ctrl-C or SIGTERM: written anyway, with what finished. */
  interrupted?: boolean;
  sink: EventSink;
  now?: Date;
}

export async function finishNight(o: FinishOptions): Promise<NightSummary> {
  const warn = (message: string) => o.sink.emit({ type: "log", level: "warn", message });
  const history = (await readHistory(o.root, warn)).filter((e) => e.runId !== o.runId);
  const cells: Cell[] = [];
  const signatures: Record<string, SignatureInfo> = {};
  for (const k of o.kernels) {
    for (const s of k.run.scenarios) {
      const { cell, signatures: sigs } = cellOf(k.info.key, s, (a) => k.ignored?.(s.name, a) ?? new Set());
      if (k.info.error) cell.error = `kernel ${k.info.key} could not be prepared: ${k.info.error}`;
      cells.push(cell);
      Object.assign(signatures, sigs);
    }
  }
  const { active, warnings } = activeIssues(o.known, todayUtc(o.now));
  for (const w of warnings) warn(w);
  const comparisons = cells.map((c) => {
    const base = baselineCell(history, o.baseline, c.kernel, c.scenario);
    return compareCell(c, base, { ...base?.signatures, ...signatures }, { alpha: o.alpha, known: active });
  });
  const counts = Object.fromEntries(CELL_STATES.map((s) => [s, comparisons.filter((c) => c.state === s).length])) as Record<CellState, number>;
  const nights: NightCells[] = [...history, { cells, signatures }];
  const summary: NightSummary = {
    format: 1,
    runId: o.runId,
    suite: o.suite,
    startedAt: o.startedAt,
    finishedAt: (o.now ?? new Date()).toISOString(),
    dir: o.dir,
    ...(o.baseline ? { baseline: o.baseline } : {}),
    alpha: o.alpha,
    ...(o.interrupted ? { interrupted: true } : {}),
    kernels: o.kernels.map((k) => k.info),
    signatures,
    cells: comparisons,
    knownIssues: { ...(o.known ? { file: o.known.file } : {}), warnings, maybeFixed: o.known ? maybeFixed(active, nights, o.known.maybeFixedAfter) : [] },
    counts,
    regressions: comparisons.filter((c) => c.state === "regression").map((c) => ({ kernel: c.kernel, scenario: c.scenario, titles: c.changes.filter((x) => x.bad).map((x) => x.title) })),
    exitCode: nightExitCode(comparisons),
  };
  await writeJsonAtomic(join(o.dir, NIGHT_FILE), summary);
  await writeFileAtomic(join(o.dir, "junit.xml"), nightJUnit(summary));

  // Log pages with anchors, then the night's page linking into them.
  const logs: AttemptLogs = new Map();
  for (const k of o.kernels) {
    for (const s of k.run.scenarios) {
      for (const a of s.attempts) {
        const name = `${k.info.key} · ${s.name} #${a.attempt}`;
        const consoleLog = await writeLogPage(join(a.dir, "console.log"), `console · ${name}`);
        const dmesgLog = await writeLogPage(join(a.dir, "dmesg.log"), `dmesg · ${name}`);
        logs.set(a.dir, { ...(consoleLog ? { console: consoleLog.reports } : {}), ...(dmesgLog ? { dmesg: dmesgLog.reports } : {}) });
      }
    }
  }
  await writeFileAtomic(join(o.dir, NIGHT_PAGE), renderNightPage(summary, new Map(o.kernels.map((k) => [k.info.key, k.run])), logs));

  const entry = entryOf(summary);
  await appendHistory(o.root, entry);
  await writeHistoryPage(o.root, [...history, entry]);
  return summary;
}
