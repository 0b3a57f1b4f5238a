/**
 * Parser throughput and memory: a >= 50 MB console log built from the test fixtures (syzkaller reports
 * and real guest logs, repeated with shifted timestamps), parsed by the stream and by the batch parser.
 * Targets: >= 100 MB/s for both on the report-dense fixture mix; streaming memory bounded (it must not
 * grow with the log).
 *
 *   npx tsx bench/parse.ts [sizeMB]
 *
 * Each throughput is the median of five passes (the machine may be busy booting guests), after one
 * untimed warm-up pass, over the log built beforehand: only parsing is timed, and no garbage of
 * building the log is collected inside the timed loop. Memory while streaming is measured first, on a
 * fresh heap, with the log generated one copy of the fixtures at a time, so that its figures are the
 * parser's own and not the log's.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { createReportStream, parseReports, stripSyzkallerHeader } from "../harness/detect/index.ts";

const FIX = join(dirname(fileURLToPath(import.meta.url)), "..", "test", "fixtures");
const TARGET_MBS = 100;
const PASSES = 5;

type Mix = "all" | "real";

function fixtures(which: Mix): string[] {
  const syz = join(FIX, "syzkaller-reports");
  const real = join(FIX, "real-vm");
  return [
    ...(which === "all"
      ? readdirSync(syz).filter((f) => /^\d+$/.test(f)).map((f) => stripSyzkallerHeader(readFileSync(join(syz, f), "utf8")))
      : []),
    ...readdirSync(real).map((f) => readFileSync(join(real, f), "utf8")),
  ].map((t) => (t.endsWith("\n") ? t : t + "\n"));
}

/** One copy of the fixtures with every timestamp shifted by `round * 1000` s (no two copies are equal). */
function copyOf(base: string[], round: number): string {
  const shift = round * 1000;
  const parts = base.map((t) =>
    t.replace(/\[ *([0-9]+)\.([0-9]{6})\]/g, (_m, sec: string, us: string) => `[${String(Number(sec) + shift).padStart(5)}.${us}]`),
  );
  return parts.join(""); // one flat string, like a chunk read from a file or socket
}

/**
 * The log, one copy of the fixtures at a time, until `mb` megabytes.
 * "all": every fixture (syzkaller corpus + real guests): almost every line belongs to a report.
 * "real": the real guest logs only: a typical console, mostly boot and service noise.
 */
function* logCopies(mb: number, which: Mix = "all"): Generator<string> {
  const base = fixtures(which);
  let size = 0;
  for (let round = 0; size < mb * 1024 * 1024; round++) {
    const s = copyOf(base, round);
    size += s.length;
    yield s;
  }
}

/** The whole log as one string (for the batch parser). */
export function buildLog(mb: number, which: Mix = "all"): string {
  return [...logCopies(mb, which)].join("");
}

const MB = 1024 * 1024;
const mb = (bytes: number) => (bytes / MB).toFixed(1);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const verdict = (mbs: number) => (mbs >= TARGET_MBS ? "ok" : "BELOW TARGET");

/** `global.gc`, also when node was started without --expose-gc. */
function getGc(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

interface StreamMemory {
  bytes: number;
  emitted: number;
  peakRss: number;
  peakHeap: number;
  /** heap still in use after a full GC at the end of the log (the stream's retained state) */
  retained: number;
}

/** Push every line of `text` (split like a console follower does); returns the reports emitted. */
function pushLines(s: ReturnType<typeof createReportStream>, text: string, each?: () => void): number {
  let emitted = 0;
  let pos = 0;
  const len = text.length;
  while (pos < len) {
    let nl = text.indexOf("\n", pos);
    if (nl < 0) nl = len;
    emitted += s.push(text.slice(pos, nl)).length;
    pos = nl + 1;
    each?.();
  }
  return emitted;
}

/**
 * Memory while streaming: the log is generated one copy of the fixtures at a time and never held as a
 * whole; memory is sampled every 16k lines and a full GC runs between copies, so that the figures are
 * the parser's memory and not uncollected copies.
 */
function streamMemory(sizeMB: number, gc: () => void): StreamMemory {
  const s = createReportStream();
  let bytes = 0;
  let emitted = 0;
  let peakRss = 0;
  let peakHeap = 0;
  let n = 0;
  const sample = () => {
    if ((++n & 0x3fff) !== 0) return;
    const m = process.memoryUsage();
    if (m.rss > peakRss) peakRss = m.rss;
    if (m.heapUsed > peakHeap) peakHeap = m.heapUsed;
  };
  for (const copy of logCopies(sizeMB)) {
    bytes += Buffer.byteLength(copy, "utf8");
    emitted += pushLines(s, copy, sample);
    gc();
  }
  gc();
  const retained = process.memoryUsage().heapUsed; // the stream is still alive here
  emitted += s.end().length;
  return { bytes, emitted, peakRss, peakHeap, retained };
}

/** Throughput of the stream: every line of the (prebuilt) log pushed; only the push loop is timed. */
function streamPasses(text: string): { mbs: number[]; emitted: number } {
  pushLines(createReportStream(), text); // warm-up: one whole untimed pass (JIT tiers, heap size)
  const mbs: number[] = [];
  let emitted = 0;
  const bytes = Buffer.byteLength(text, "utf8");
  for (let i = 0; i < PASSES; i++) {
    const s = createReportStream();
    const t0 = performance.now();
    emitted = pushLines(s, text) + s.end().length;
    mbs.push(bytes / MB / ((performance.now() - t0) / 1000));
  }
  return { mbs, emitted };
}

function batchPasses(text: string): { mbs: number[]; reports: number } {
  parseReports(text); // warm-up: one whole untimed pass (JIT tiers, heap size)
  const mbs: number[] = [];
  let reports = 0;
  const bytes = Buffer.byteLength(text, "utf8");
  for (let i = 0; i < PASSES; i++) {
    const t0 = performance.now();
    reports = parseReports(text).length;
    mbs.push(bytes / MB / ((performance.now() - t0) / 1000));
  }
  return { mbs, reports };
}

export async function benchParse(sizeMB = 64): Promise<void> {
  const gc = getGc();
  console.log(`parse bench: ${sizeMB} MB logs from the fixtures (timestamps shifted per copy); target >= ${TARGET_MBS} MB/s; median of ${PASSES} passes`);

  // --- memory while streaming: first, on a fresh heap, the log never held as a whole
  streamMemory(2, gc); // JIT warm-up
  gc();
  const before = process.memoryUsage();
  const mem = streamMemory(sizeMB, gc);

  // --- stream throughput, then batch: the whole log as one string (built outside the timed loops)
  let text: string | undefined = buildLog(sizeMB);
  const stream = streamPasses(text);
  const sm = median(stream.mbs);
  console.log(
    `  stream, report-dense fixture mix:        ${sm.toFixed(0).padStart(4)} MB/s  (target >= ${TARGET_MBS}: ${verdict(sm)}; ` +
      `passes ${stream.mbs.map((x) => x.toFixed(0)).join(", ")}; ${mb(Buffer.byteLength(text, "utf8"))} MB, ${stream.emitted} reports emitted)`,
  );
  console.log(
    `  memory while streaming ${mb(mem.bytes)} MB:      peak RSS ${mb(mem.peakRss)} MB (+${mb(mem.peakRss - before.rss)} MB over ${mb(before.rss)} MB at start), ` +
      `peak heap +${mb(mem.peakHeap - before.heapUsed)} MB (incl. garbage of the current copy), ` +
      `retained after GC +${mb(mem.retained - before.heapUsed)} MB  (target: bounded, independent of the log size)`,
  );

  const dense = batchPasses(text);
  const dm = median(dense.mbs);
  console.log(
    `  batch, report-dense fixture mix:         ${dm.toFixed(0).padStart(4)} MB/s  (target >= ${TARGET_MBS}: ${verdict(dm)}; ` +
      `passes ${dense.mbs.map((x) => x.toFixed(0)).join(", ")}; ${mb(Buffer.byteLength(text, "utf8"))} MB, ${dense.reports} distinct reports)`,
  );
  text = undefined;
  gc();

  let typical: string | undefined = buildLog(sizeMB, "real");
  const real = batchPasses(typical);
  const rm = median(real.mbs);
  console.log(
    `  batch, typical console (real guest logs): ${rm.toFixed(0).padStart(4)} MB/s  (target >= ${TARGET_MBS}: ${verdict(rm)}; ` +
      `passes ${real.mbs.map((x) => x.toFixed(0)).join(", ")}; ${mb(Buffer.byteLength(typical, "utf8"))} MB, ${real.reports} distinct reports)`,
  );
  typical = undefined;
  gc();

  // --- for information: every report new to the parser (a fresh parser per copy of the fixtures, so
  // the cache of repeated reports only helps within one copy)
  const one = copyOf(fixtures("all"), 0);
  for (let i = 0; i < 5; i++) parseReports(one);
  const fresh: number[] = [];
  for (let p = 0; p < PASSES; p++) {
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) parseReports(one);
    fresh.push((20 * Buffer.byteLength(one, "utf8")) / MB / ((performance.now() - t0) / 1000));
  }
  console.log(`  batch, fixture mix, fresh parser per copy: ${median(fresh).toFixed(0).padStart(3)} MB/s  (no target; shows the share of the repeated-report cache)`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchParse(Number(process.argv[2]) || 64);
}
