/**
 * The chunked log parser (hangar parse) fed bytes as `hangar parse` reads a file, decoded chunk by
 * chunk: the same reports as the batch parser, whatever the chunk size and the characters.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { StringDecoder } from "node:string_decoder";
import { describe, expect, it } from "vitest";
import { createLogParser, parseReports } from "../../../harness/detect/index.ts";

const REAL = join(import.meta.dirname, "../../fixtures/real-vm");

describe("createLogParser", () => {
  it("gives parseReports' reports for a log with wide characters, in byte chunks of any size", () => {
    const logs = readdirSync(REAL).filter((f) => f.endsWith(".log")).map((f) => readFileSync(join(REAL, f), "utf8"));
    const text = logs.join("");
    expect(text).toMatch(/[^\x00-\xff]/);
    const expected = parseReports(text);
    const bytes = Buffer.from(text, "utf8");
    for (const size of [4093, 65536, 256 * 1024]) {
      const p = createLogParser();
      const d = new StringDecoder("utf8");
      for (let i = 0; i < bytes.length; i += size) p.write(d.write(bytes.subarray(i, i + size)));
      p.write(d.end());
      expect(p.end().reports).toEqual(expected);
    }
  });
});
