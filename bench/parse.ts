/**
 * Parser throughput: a >= 50 MB console log built in memory from the test fixtures (syzkaller reports and
 * real guest logs, repeated with shifted timestamps), parsed by the batch parser and by the stream.
 * Prints MB/s for both and the peak memory while streaming. Target: >= 100 MB/s.
 *
 *   npx tsx bench/parse.ts [sizeMB]
 */
import { readFileSync, readdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createReportStream, parseReports, stripSyzkallerHeader } from "../harness/detect/index.ts";

const FIX = join(dirname(fileURLToPath(import.meta.url)), "..", "test", "fixtures");

function fixtures(which: "all" | "real"): string[] {
  const syz = join(FIX, "syzkaller-reports");
  const real = join(FIX, "real-vm");
  return [
    ...(which === "all"
      ? readdirSync(syz).filter((f) => /^\d+$/.test(f)).map((f) => stripSyzkallerHeader(readFileSync(join(syz, f), "utf8")))
      : []),
    ...readdirSync(real).map((f) => readFileSync(join(real, f), "utf8")),
  ].map((t) => (t.endsWith("\n") ? t : t + "\n"));
}

/**
 * Repeat the fixtures until `mb` megabytes, shifting every timestamp so that no two copies are equal.
 * "all": every fixture (syzkaller corpus + real guests): almost every line belongs to a report.
 * "real": the real guest logs only: a typical console, mostly boot and service noise.
 */
export function buildLog(mb: number, which: "all" | "real" = "all"): string {
  const base = fixtures(which);
  const parts: string[] = [];
  let size = 0;
  for (let round = 0; size < mb * 1024 * 1024; round++) {
    const shift = round * 1000;
    for (const t of base) {
      const s = t.replace(/\[ *([0-9]+)\.([0-9]{6})\]/g, (_m, sec: string, us: string) => `[${String(Number(sec) + shift).padStart(5)}.${us}]`);
      parts.push(s);
      size += s.length;
    }
  }
  return parts.join("");
}

function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

export async function benchParse(sizeMB = 64): Promise<void> {
  const text = buildLog(sizeMB);
  const bytes = Buffer.byteLength(text, "utf8");
  console.log(`parse bench: ${mb(bytes)} MB log, ${text.split("\n").length} lines`);

  // warm-up (JIT), then the measured batch run
  parseReports(text.slice(0, 2_000_000));
  let t0 = performance.now();
  const batch = parseReports(text);
  let secs = (performance.now() - t0) / 1000;
  console.log(`  batch, report-dense fixture mix: ${(bytes / 1024 / 1024 / secs).toFixed(0)} MB/s  (${secs.toFixed(2)} s, ${batch.length} distinct reports)`);

  const typical = buildLog(sizeMB, "real");
  const tbytes = Buffer.byteLength(typical, "utf8");
  parseReports(typical.slice(0, 2_000_000));
  t0 = performance.now();
  const tr = parseReports(typical);
  secs = (performance.now() - t0) / 1000;
  console.log(`  batch, typical console (real guest logs only, ${mb(tbytes)} MB): ${(tbytes / 1024 / 1024 / secs).toFixed(0)} MB/s  (${tr.length} distinct reports)`);

  // stream: line by line, like a console follower; sample memory while it runs
  globalThis.gc?.();
  const before = process.memoryUsage();
  let peakRss = before.rss;
  let peakHeap = before.heapUsed;
  let emitted = 0;
  t0 = performance.now();
  const s = createReportStream();
  let pos = 0;
  let n = 0;
  while (pos < text.length) {
    let nl = text.indexOf("\n", pos);
    if (nl < 0) nl = text.length;
    emitted += s.push(text.slice(pos, nl)).length;
    pos = nl + 1;
    if ((++n & 0x3fff) === 0) {
      const m = process.memoryUsage();
      if (m.rss > peakRss) peakRss = m.rss;
      if (m.heapUsed > peakHeap) peakHeap = m.heapUsed;
    }
  }
  emitted += s.end().length;
  secs = (performance.now() - t0) / 1000;
  console.log(`  stream, report-dense fixture mix: ${(bytes / 1024 / 1024 / secs).toFixed(0)} MB/s  (${secs.toFixed(2)} s, ${emitted} reports emitted)`);
  console.log(
    `  memory while streaming: peak RSS ${mb(peakRss)} MB (+${mb(peakRss - before.rss)} MB over the ${mb(before.rss)} MB holding the log), ` +
      `peak heap ${mb(peakHeap)} MB (+${mb(peakHeap - before.heapUsed)} MB)`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchParse(Number(process.argv[2]) || 64);
}
