/**
 * Parser throughput and memory on logs whose reports are all distinct (issue 14): every copy of the
 * fixtures gets its own function names (each `name+0x…` frame and `at: name` becomes `name_cN`),
 * pids and timestamps, so no two reports of the log are the same and no cache of repeated report
 * bodies could help. Targets:
 *   - typical console (the real guest logs: boot and service noise around a few reports): >= 100 MB/s
 *   - report-dense (every fixture: syzkaller's corpus and the real guests): >= 50 MB/s
 *   - memory bounded while streaming: the live stream holds only open reports; the chunked log
 *     parser (hangar parse) holds one copy of each distinct report it found, not the log.
 *
 *   npx tsx bench/parse.ts [sizeMB]
 *
 * Each throughput is the median of five passes after one untimed warm-up pass, over a log built
 * beforehand (only parsing is timed); the chunked parser gets it as bytes, read and decoded as
 * `hangar parse` reads a file. Memory is measured on logs generated one copy at a time.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { StringDecoder } from "node:string_decoder";
import { createLogParser, createReportStream, parseReports, stripSyzkallerHeader, type LogParser } from "../harness/detect/index.ts";
import { CHUNK_BYTES } from "../harness/cli/parse.ts";

const FIX = join(dirname(fileURLToPath(import.meta.url)), "..", "test", "fixtures");
const TARGET = { typical: 100, dense: 50 };
const PASSES = 5;

type Mix = "dense" | "typical";

function fixtures(which: Mix): string[] {
  const syz = join(FIX, "syzkaller-reports");
  const real = join(FIX, "real-vm");
  return [
    ...(which === "dense"
      ? readdirSync(syz).filter((f) => /^\d+$/.test(f)).map((f) => stripSyzkallerHeader(readFileSync(join(syz, f), "utf8")))
      : []),
    ...readdirSync(real).filter((f) => f.endsWith(".log")).map((f) => readFileSync(join(real, f), "utf8")),
  ].map((t) => (t.endsWith("\n") ? t : t + "\n"));
}

/**
 * One copy of the fixtures, distinct from every other copy: timestamps shifted by `round * 1000` s,
 * function names of frames suffixed with the copy number, pids shifted.
 */
function copyOf(base: string[], round: number): string {
  const shift = round * 1000;
  const parts = base.map((t) =>
    t
      .replace(/\[ *([0-9]+)\.([0-9]{6})\]/g, (_m, sec: string, us: string) => `[${String(Number(sec) + shift).padStart(5)}.${us}]`)
      .replace(/([A-Za-z_][A-Za-z0-9_]*)(\.[a-z]+\.[0-9]+)?\+0x/g, (_m, name: string, sfx: string | undefined) => `${name}_c${round}${sfx ?? ""}+0x`)
      .replace(/:([0-9]+) blocked for/g, (_m, pid: string) => `:${Number(pid) + round} blocked for`),
  );
  return parts.join("");
}

function* logCopies(mb: number, which: Mix): Generator<string> {
  const base = fixtures(which);
  let size = 0;
  for (let round = 0; size < mb * 1024 * 1024; round++) {
    const s = copyOf(base, round);
    size += s.length;
    yield s;
  }
}

function buildLog(mb: number, which: Mix): string {
  const s = [...logCopies(mb, which)].join("");
  s.indexOf("\u0001"); // flat before timing
  return s;
}

const MB = 1024 * 1024;
const mb = (bytes: number) => (bytes / MB).toFixed(1);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function getGc(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

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
 * Feed `bytes` to `p` as `hangar parse` does: reads of CHUNK_BYTES, decoded by the stream's utf8
 * decoder (setEncoding), so that a chunk is a two-byte string only when it holds a wide character.
 */
function writeChunks(p: LogParser, bytes: Buffer, decoder: StringDecoder, each?: () => void): void {
  for (let i = 0; i < bytes.length; i += CHUNK_BYTES) {
    p.write(decoder.write(bytes.subarray(i, i + CHUNK_BYTES)));
    each?.();
  }
}

interface Passes {
  /** MB/s by the wall clock */
  mbs: number[];
  /** MB/s by the process's CPU time (less sensitive to other jobs on the machine; includes GC threads) */
  cpu: number[];
  n: number;
}

function passes(f: () => number, bytes: number): Passes {
  f(); // warm-up
  const mbs: number[] = [];
  const cpu: number[] = [];
  let n = 0;
  for (let i = 0; i < PASSES; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    n = f();
    mbs.push(bytes / MB / ((performance.now() - t0) / 1000));
    const c = process.cpuUsage(c0);
    cpu.push(bytes / MB / ((c.user + c.system) / 1e6));
  }
  return { mbs, cpu, n };
}

function line(label: string, r: Passes, target: number | undefined, bytes: number, what: string): void {
  const m = median(r.mbs);
  const verdict = target === undefined ? "no target" : `target >= ${target}: ${m >= target ? "ok" : "BELOW TARGET"}`;
  console.log(
    `  ${label.padEnd(44)} ${m.toFixed(0).padStart(4)} MB/s  (${verdict}; passes ${r.mbs.map((x) => x.toFixed(0)).join(", ")}; ` +
      `by CPU time ${median(r.cpu).toFixed(0)} MB/s; ${mb(bytes)} MB, ${r.n} ${what})`,
  );
}

interface Mem {
  bytes: number;
  reports: number;
  peakHeap: number;
  retained: number;
}

/** Memory while streaming `sizeMB` of distinct reports, generated one copy at a time. */
function streamMemory(sizeMB: number, gc: () => void, kind: "live" | "chunked"): Mem {
  const live = kind === "live" ? createReportStream() : undefined;
  const parser = kind === "chunked" ? createLogParser() : undefined;
  let bytes = 0;
  let reports = 0;
  let peakHeap = 0;
  let n = 0;
  const sample = () => {
    if ((++n & 0x3fff) !== 0) return;
    const h = process.memoryUsage().heapUsed;
    if (h > peakHeap) peakHeap = h;
  };
  const decoder = new StringDecoder("utf8");
  for (const copy of logCopies(sizeMB, "dense")) {
    bytes += Buffer.byteLength(copy, "utf8");
    if (live) reports += pushLines(live, copy, sample);
    else writeChunks(parser!, Buffer.from(copy, "utf8"), decoder, sample);
    gc();
    const h = process.memoryUsage().heapUsed;
    if (h > peakHeap) peakHeap = h;
  }
  gc();
  const retained = process.memoryUsage().heapUsed;
  if (live) reports += live.end().length;
  else {
    parser!.write(decoder.end());
    reports = parser!.end().reports.length;
  }
  return { bytes, reports, peakHeap, retained };
}

export async function benchParse(sizeMB = 64): Promise<void> {
  const gc = getGc();
  const load = (await import("node:os")).loadavg()[0]!.toFixed(1);
  console.log(`parse bench: ${sizeMB} MB logs of distinct reports (frames renamed per copy of the fixtures); median of ${PASSES} passes; load average ${load}`);

  let typical: string | undefined = buildLog(sizeMB, "typical");
  const tb = Buffer.byteLength(typical, "utf8");
  line("batch, typical console (real guest logs)", passes(() => parseReports(typical!).length, tb), TARGET.typical, tb, "distinct reports");
  line("stream, typical console", passes(() => { const s = createReportStream(); return pushLines(s, typical!) + s.end().length; }, tb), TARGET.typical, tb, "reports");
  typical = undefined;
  gc();

  let dense: string | undefined = buildLog(sizeMB, "dense");
  const db = Buffer.byteLength(dense, "utf8");
  line("batch, report-dense (all fixtures)", passes(() => parseReports(dense!).length, db), TARGET.dense, db, "distinct reports");
  line("stream, report-dense", passes(() => { const s = createReportStream(); return pushLines(s, dense!) + s.end().length; }, db), TARGET.dense, db, "reports");
  // the chunked parser reads bytes, as hangar parse does: the log is not held as one string
  let denseBytes: Buffer | undefined = Buffer.from(dense, "utf8");
  dense = undefined;
  gc();
  line("chunked log parser (hangar parse), dense", passes(() => {
    const p = createLogParser();
    const decoder = new StringDecoder("utf8");
    writeChunks(p, denseBytes!, decoder);
    p.write(decoder.end());
    return p.end().reports.length;
  }, db), TARGET.dense, db, "distinct reports");
  denseBytes = undefined;
  gc();

  // --- memory, on a fresh heap, the log never held as a whole
  streamMemory(2, gc, "live");
  for (const kind of ["live", "chunked"] as const) {
    for (const size of [sizeMB / 4, sizeMB]) {
      gc();
      const before = process.memoryUsage().heapUsed;
      const m = streamMemory(size, gc, kind);
      const per = kind === "chunked" && m.reports ? ` = ${((m.retained - before) / m.reports / 1024).toFixed(1)} KB per distinct report kept` : "";
      console.log(
        `  memory, ${kind === "live" ? "live stream (reports handed out)" : "chunked parser (reports kept)  "} ${mb(m.bytes).padStart(6)} MB: ` +
          `peak heap +${mb(m.peakHeap - before)} MB, retained after GC +${mb(m.retained - before)} MB, ${m.reports} reports${per}`,
      );
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchParse(Number(process.argv[2]) || 64);
}
