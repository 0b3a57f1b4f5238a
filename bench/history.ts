/**
 * History index at scale: 1,000 synthetic nights (2 kernels × 12 scenarios × 3 attempts, about a
 * fifth of the cells with kernel reports from a pool of 40 signatures) in results/history.jsonl form,
 * then what a night and `hangar history` do with it: append a night, read the index, look up the
 * baselines and compare every cell, the maybe-fixed rule, the page (30-night grid) and the queries.
 * Each figure is the median of five passes. Target: every step well under a second at 1,000 nights,
 * so a JSON-lines file needs no database.
 *
 *   npx tsx bench/history.ts [nights]
 */
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  appendHistory,
  baselineCell,
  compareCell,
  maybeFixed,
  queryHistory,
  readHistory,
  renderHistoryPage,
  type Cell,
  type CellState,
  type HistoryEntry,
  type KnownIssue,
} from "../harness/nightly/index.ts";

const KERNELS = ["debian", "mainline"];
const SCENARIOS = Array.from({ length: 12 }, (_, i) => `scenario-${String(i).padStart(2, "0")}-xfs-on-loop`);
const SIGS = Array.from({ length: 40 }, (_, i) => `hung-task:xfs_func_${i}|xfs_log_force_lsn|xfs_file_fsync|vfs_fsync_range`);
const TITLE = (i: number) => `INFO: task hung in xfs_func_${i}`;
const PASSES = 5;

/** A deterministic pseudo-random generator, so every run benchmarks the same history. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function runId(i: number): string {
  const d = new Date(Date.UTC(2024, 0, 1 + i, 2, 0, 0));
  const p = (x: number) => String(x).padStart(2, "0");
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-020000-${(i % 65536).toString(16).padStart(4, "0")}`;
}

function night(i: number, rand: () => number): HistoryEntry {
  const signatures: HistoryEntry["signatures"] = {};
  const cells = KERNELS.flatMap((kernel) =>
    SCENARIOS.map((scenario, si) => {
      const judged = rand() < 0.02 ? 0 : 3;
      const hits: Record<string, number> = {};
      if (judged && rand() < 0.2) {
        const s = (si * 3 + Math.floor(rand() * 3)) % SIGS.length;
        hits[SIGS[s]!] = 1 + Math.floor(rand() * 3);
        signatures[SIGS[s]!] = { kind: "hung-task", title: TITLE(s) };
      }
      const reported = Math.max(0, ...Object.values(hits));
      const state: CellState = judged === 0 ? "infra" : reported ? "flaky-known" : "unchanged";
      return { kernel, scenario, outcome: judged ? (reported ? "unexpected" : "clean") : "infra", judged, infra: 3 - judged, skipped: 0, reported, hits, state } as HistoryEntry["cells"][number];
    }),
  );
  return { v: 1, runId: runId(i), startedAt: new Date(Date.UTC(2024, 0, 1 + i, 2)).toISOString(), finishedAt: new Date(Date.UTC(2024, 0, 1 + i, 5)).toISOString(), suite: "nightly", exitCode: 0, ...(i ? { baseline: runId(i - 1) } : {}), kernels: KERNELS.map((key) => ({ key, spec: key })), signatures, cells };
}

/** Median wall time and median CPU time (user + system) of PASSES runs: on a shared, loaded machine the CPU time is the steadier figure. */
async function time<T>(fn: () => Promise<T> | T): Promise<{ ms: number; cpu: number; value: T; show: string }> {
  const wall: number[] = [];
  const cpu: number[] = [];
  let value!: T;
  for (let i = 0; i < PASSES; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    value = await fn();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  const med = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(PASSES / 2)]!;
  const ms = med(wall);
  const cpuMs = med(cpu);
  return { ms, cpu: cpuMs, value, show: `${ms.toFixed(ms < 10 ? 2 : 1)} ms wall, ${cpuMs.toFixed(ms < 10 ? 2 : 1)} ms CPU` };
}

export async function benchHistory(nights = Number(process.env.HANGAR_BENCH_NIGHTS ?? 1000)): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), "hangar-bench-history-"));
  try {
    const rand = rng(42);
    const entries = Array.from({ length: nights }, (_, i) => night(i, rand));
    await writeFile(join(root, "history.jsonl"), entries.map((e) => JSON.stringify(e) + "\n").join(""));
    const size = (await stat(join(root, "history.jsonl"))).size;
    console.log(`  ${nights} nights × ${KERNELS.length} kernels × ${SCENARIOS.length} scenarios: history.jsonl ${(size / 1048576).toFixed(1)} MiB (${(size / nights / 1024).toFixed(1)} KiB a night)`);

    const read = await time(() => readHistory(root));
    console.log(`  read + parse the index:            ${read.show} (${read.value.length} nights)`);
    const history = read.value;

    const tonight = night(nights, rand);
    const known: KnownIssue[] = SIGS.slice(0, 10).map((s, i) => ({ id: `k${i}`, bug: `https://bugs.example/${i}`, rate: 0.3, signature: s }));
    const compare = await time(() =>
      tonight.cells.map((c: Cell) => {
        const base = baselineCell(history, history[history.length - 1]!.runId, c.kernel, c.scenario);
        return compareCell(c, base, { ...base?.signatures, ...tonight.signatures }, { alpha: 0.05, known });
      }),
    );
    console.log(`  baseline lookup + compare, ${tonight.cells.length} cells: ${compare.show}`);
    const mf = await time(() => maybeFixed(known, [...history, tonight], 5));
    console.log(`  maybe-fixed, ${known.length} known issues × ${nights} nights: ${mf.show}`);
    const page = await time(() => renderHistoryPage(history));
    console.log(`  render index.html (30-night grid): ${page.show} (${(page.value.length / 1024).toFixed(0)} KiB)`);
    const byScenario = await time(() => queryHistory(history, { scenario: SCENARIOS[3]! }));
    console.log(`  history --scenario:                ${byScenario.show} (${byScenario.value.length} rows)`);
    const bySig = await time(() => queryHistory(history, { signature: "xfs_func_7" }));
    console.log(`  history --signature:               ${bySig.show} (${bySig.value.length} rows)`);
    const append = await time(() => appendHistory(root, tonight));
    console.log(`  append one night (with the lock):  ${append.show}`);
    const parts = [read, compare, mf, page, append];
    const sum = (k: "ms" | "cpu") => parts.reduce((a, p) => a + p[k], 0).toFixed(0);
    console.log(`  a night's index work in all:       ${sum("ms")} ms wall, ${sum("cpu")} ms CPU; heap used ${(process.memoryUsage().heapUsed / 1048576).toFixed(0)} MiB; load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log("== bench history");
  await benchHistory(process.argv[2] ? Number(process.argv[2]) : undefined);
}
