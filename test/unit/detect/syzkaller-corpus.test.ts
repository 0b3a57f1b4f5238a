/**
 * Title agreement with syzkaller's report parser on its own test data (test/fixtures/syzkaller-reports).
 * Every file is parsed; the FIRST report's title must equal the file's TITLE: header (no report when the
 * title is empty). Disagreements must be listed below with a reason; the test fails when a new file
 * disagrees, when an allow-listed file starts agreeing (remove it then), or when agreement drops under
 * 97% overall / 100% for hung tasks, every lockdep report and every WARNING.
 *
 * The parser was not tuned to these files one by one: its formats follow syzkaller's documented rules
 * (harness/detect/titles/, docs/parser.md). 117 of the files were there while it was written, 115 were
 * added from the same corpus afterwards (issue 14).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseReports, parseSyzkallerHeader, stripSyzkallerHeader } from "../../../harness/detect/index.ts";

const DIR = join(import.meta.dirname, "../../fixtures/syzkaller-reports");

/** file → why hangar's first title differs from syzkaller's. */
const TITLE_DISAGREEMENTS: Record<string, string> = {
  "200":
    "a GPF interleaved line by line with a fault-injection stack (no caller ids): hangar meets should_fail before the " +
    "GPF's own frames and calls the frame corrupted, as syzkaller's rule says; syzkaller names a frame of the " +
    "injected allocation (__alloc_skb) instead. Both flag the report corrupted.",
};

/**
 * file → why hangar's `corrupted` flag differs (informational quality bar, not part of the title rule).
 * syzkaller checks stacks on the text up to the end of the log; hangar cuts a report at the next one.
 */
const CORRUPTED_DISAGREEMENTS: Record<string, string> = {
  "87": "syzkaller flags the Dentry report corrupted (its stack belongs to the panic_on_warn WARNING that follows); hangar's format needs no stack",
  "197": "the KASAN report is followed at once by a GPF report; hangar cuts the KASAN report there and finds no Call Trace in it, syzkaller looks past it",
  "343": "syzkaller flags it for a garbled `WARNING: kernel stack frame pointer` line 580 lines later, outside hangar's report",
  "44": "the log ends two frames after `Call Trace:`: hangar applies syzkaller's documented rule (a stack start needs 3 more lines); syzkaller's header says not corrupted",
  "632": "syzkaller flags the KMSAN report (its origin stack is missing); hangar names it from the stack the same task printed next and does not",
  "755": "the log ends inside the stack (no </TASK>): hangar marks the report truncated, syzkaller does not",
};

/** Families (INDEX.tsv category before the ':') that must agree on every file. */
const STRICT_FAMILIES = new Set(["hung_task", "lockdep", "warning"]);

interface Row {
  file: string;
  title: string;
  category: string;
}

const rows: Row[] = readFileSync(join(DIR, "INDEX.tsv"), "utf8")
  .trim()
  .split("\n")
  .slice(1)
  .map((l) => {
    const [file, title, , , category] = l.split("\t");
    return { file: file!, title: title ?? "", category: category ?? "" };
  });

function parseFile(file: string) {
  const raw = readFileSync(join(DIR, file), "utf8");
  const header = parseSyzkallerHeader(raw);
  const reports = parseReports(stripSyzkallerHeader(raw));
  return { header, reports };
}

const results = rows.map((row) => {
  const { header, reports } = parseFile(row.file);
  const want = header?.title ?? "";
  const got = reports[0]?.title ?? "";
  return { ...row, want, got, agree: want === got, corruptedWant: header?.corrupted ?? false, corruptedGot: reports[0]?.corrupted ?? false };
});

describe("syzkaller report corpus", () => {
  it("has the files INDEX.tsv lists, with matching titles", () => {
    expect(rows.length).toBe(232);
    for (const r of results) expect(r.want, r.file).toBe(r.title);
  });

  it.each(results.map((r) => [r.file, r] as const))("file %s: first title", (_f, r) => {
    if (TITLE_DISAGREEMENTS[r.file]) {
      expect(r.got, `${r.file} now agrees: remove it from TITLE_DISAGREEMENTS`).not.toBe(r.want);
    } else {
      expect(r.got).toBe(r.want);
    }
  });

  it("agrees on >= 97% of files and on every hung-task, lockdep and WARNING file", () => {
    const agree = results.filter((r) => r.agree).length;
    expect(agree / results.length).toBeGreaterThanOrEqual(0.97);
    const strict = results.filter((r) => STRICT_FAMILIES.has(r.category.split(":")[0]!));
    expect(strict.length).toBeGreaterThan(100);
    expect(strict.filter((r) => !r.agree).map((r) => r.file)).toEqual([]);
  });

  it("agrees on the corrupted flag except for the listed files", () => {
    const differ = results.filter((r) => r.corruptedGot !== r.corruptedWant).map((r) => r.file);
    expect(differ.sort()).toEqual(Object.keys(CORRUPTED_DISAGREEMENTS).sort());
  });

  it("reports nothing for the no-crash files", () => {
    const none = results.filter((r) => r.want === "");
    expect(none.length).toBeGreaterThan(5);
    for (const r of none) expect(r.got, r.file).toBe("");
  });

  it("gives every report a signature free of addresses and pids", () => {
    for (const r of rows) {
      for (const rep of parseFile(r.file).reports) {
        expect(rep.signature).not.toBe("");
        expect(rep.signature).not.toMatch(/0x[0-9a-f]|\+0x|ffff[0-9a-f]{4}/);
      }
    }
  });
});
