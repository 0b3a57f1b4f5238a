/**
 * The chunked log parser (hangar parse) keeps no part of the chunks it is fed: a string cut from a
 * chunk (a line, a frame name, a title built from them) keeps the whole chunk alive, so the reports
 * it keeps must be copies (keep() in harness/detect/parse.ts). Otherwise memory would grow with the
 * log instead of with the distinct reports found.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { createLogParser, type ParseResult } from "../../../harness/detect/index.ts";

const REAL = join(import.meta.dirname, "../../fixtures/real-vm");

function getGc(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

function heapAfterGc(gc: () => void): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe("createLogParser memory", () => {
  it("keeps the reports it found, not the chunks they were cut from", () => {
    const gc = getGc();
    const logs = readdirSync(REAL).filter((f) => f.endsWith(".log")).map((f) => readFileSync(join(REAL, f), "utf8")).join("");
    const CHUNKS = 4;
    const NOISE_LINES = 6_000;
    let chunkChars = 0;

    /** Feeds CHUNKS big chunks, each with reports of its own (frames renamed), and drops them. */
    function parse(): ParseResult {
      const p = createLogParser();
      for (let c = 0; c < CHUNKS; c++) {
        const noise: string[] = [];
        for (let i = 0; i < NOISE_LINES; i++) noise.push(`[ ${1000 + c}.${String(i).padStart(6, "0")}] systemd[1]: Started unit ${c}-${i} of the boot noise around the reports.`);
        // distinct reports in every chunk, so that every chunk holds reports the parser keeps
        const reports = logs.replace(/([A-Za-z_][A-Za-z0-9_]*)\+0x/g, (_m, name: string) => `${name}_c${c}+0x`);
        const chunk = noise.join("\n") + "\n" + reports;
        chunk.indexOf("\u0001"); // one flat string, as a chunk read from a file is
        chunkChars += chunk.length;
        p.write(chunk);
      }
      return p.end();
    }

    parse(); // the parser's code compiled, its caches filled: not what is measured
    chunkChars = 0;
    const before = heapAfterGc(gc);
    const result = parse();
    const retained = heapAfterGc(gc) - before;
    const found = result.reports.length;
    // every chunk has reports of its own among those kept
    for (let c = 0; c < CHUNKS; c++) expect(result.reports.some((r) => r.frames.some((f) => f.endsWith(`_c${c}`)))).toBe(true);
    // a chunk is over half a million characters (two bytes each: the logs hold wide characters), and
    // the reports kept a few thousand each: a chunk pinned by a kept report would show
    expect(chunkChars).toBeGreaterThan(CHUNKS * 512 * 1024);
    const textChars = result.reports.reduce((n, r) => n + r.text.length, 0);
    expect(retained, `${retained} bytes retained for ${found} reports of ${textChars} text characters; chunks of ${chunkChars} characters`).toBeLessThan(chunkChars / 4);
    expect(result.reports[0]!.text.length).toBeGreaterThan(0);
  });
});
