/**
 * Synthetic nights for the page and history tests: real writers (ResultStore, finishNight), real
 * console logs from test/fixtures/real-vm (so the report lines and anchors are the parser's own),
 * made-up verdicts and attempt counts. A night takes well under a second.
 */
import { copyFile, mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { EventBus, repoRoot } from "../../../harness/common/index.ts";
import { parseReports } from "../../../harness/detect/index.ts";
import { finishNight, type KnownIssues, type NightSummary } from "../../../harness/nightly/index.ts";
import { ResultStore, type AttemptSummary, type AttemptVerdict, type RunSummary } from "../../../harness/results/index.ts";

const REAL = join(repoRoot, "test", "fixtures", "real-vm");

/** Which real log an attempt gets: a hung task, a lockdep cycle (console and dmesg), or none. */
export const LOGS = {
  hung: { console: "debian-6.1-fsfreeze-hung-task.console.log" },
  lockdep: { console: "linux-6.12-lockdep-abba-module.console.log", dmesg: "linux-6.12-lockdep-abba-module.dmesg.log" },
  clean: { console: "linux-6.12-lockdep-localio-enospc-clean.console.log" },
} as const;
export type LogKind = keyof typeof LOGS;

export interface SynthCell {
  scenario: string;
  /** One entry per attempt: its log (and so its reports), or infra/skipped. */
  attempts: (LogKind | "infra" | "skipped")[];
}

export interface SynthNight {
  runId: string;
  kernels: { key: string; version?: string; cells: SynthCell[] }[];
  baseline?: string;
  known?: KnownIssues;
}

async function attempt(dir: string, n: number, what: SynthCell["attempts"][number]): Promise<AttemptSummary> {
  await mkdir(dir, { recursive: true });
  if (what === "infra" || what === "skipped") {
    return { attempt: n, verdict: what, reason: what === "infra" ? "guest did not answer SSH within 180 s" : "kernel lacks CONFIG_PROVE_LOCKING", dir, reports: [], durationMs: 1000 };
  }
  const logs = LOGS[what] as { console: string; dmesg?: string };
  await copyFile(join(REAL, logs.console), join(dir, "console.log"));
  if (logs.dmesg) await copyFile(join(REAL, logs.dmesg), join(dir, "dmesg.log"));
  const reports = parseReports(await readFile(join(dir, "console.log"), "utf8"));
  const verdict: AttemptVerdict = reports.length ? "unexpected" : "clean";
  return { attempt: n, verdict, dir, reports: reports.map((r) => ({ kind: r.kind, title: r.title, signature: r.signature, count: r.count, corrupted: r.corrupted })), durationMs: 60_000 };
}

export async function synthNight(root: string, n: SynthNight): Promise<NightSummary> {
  const bus = new EventBus();
  const night = new ResultStore(root, n.runId);
  await night.init();
  const startedAt = `${n.runId.slice(0, 4)}-${n.runId.slice(4, 6)}-${n.runId.slice(6, 8)}T02:00:00.000Z`;
  const kernels = [];
  for (const k of n.kernels) {
    const store = new ResultStore(night.dir, k.key);
    await store.init();
    const scenarios = [];
    for (const c of k.cells) {
      const attempts = [];
      for (let i = 0; i < c.attempts.length; i++) attempts.push(await attempt(store.attemptDir(c.scenario, i + 1), i + 1, c.attempts[i]!));
      const judged = attempts.filter((a) => a.verdict !== "infra" && a.verdict !== "skipped");
      const outcome: AttemptVerdict = attempts.some((a) => a.verdict === "skipped") ? "skipped" : !judged.length ? "infra" : judged.some((a) => a.verdict === "unexpected") ? "unexpected" : "clean";
      scenarios.push({ name: c.scenario, file: `${c.scenario}.yaml`, expected: "clean" as const, outcome, met: outcome === "clean", attempts, reproduced: 0, durationMs: 60_000 * attempts.length });
    }
    const run: RunSummary = {
      runId: k.key,
      suite: "synthetic",
      startedAt,
      finishedAt: startedAt,
      dir: store.dir,
      host: { accel: "tcg", qemu: "7.2", hostname: "test" },
      kernel: { source: "image", path: "/boot/vmlinuz", ...(k.version ? { version: k.version } : {}) },
      image: { id: "img", path: "/img" },
      scenarios,
      exitCode: 0,
    };
    await store.writeSummary(run);
    kernels.push({ info: { key: k.key, spec: k.key, ...(k.version ? { version: k.version } : {}) }, run });
  }
  return finishNight({
    root,
    runId: n.runId,
    dir: night.dir,
    suite: "synthetic",
    startedAt,
    kernels,
    ...(n.baseline ? { baseline: n.baseline } : {}),
    ...(n.known ? { known: n.known } : {}),
    alpha: 0.05,
    sink: bus,
    now: new Date(startedAt),
  });
}

/** Run id of night `i` (0-based) from 2026-11-01, in the layout's format. */
export function nightId(i: number): string {
  const d = new Date(Date.UTC(2026, 10, 1 + i, 2, 0, 0));
  const p = (x: number) => String(x).padStart(2, "0");
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-020000-${(i % 65536).toString(16).padStart(4, "0")}`;
}
