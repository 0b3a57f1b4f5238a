/**
 * The parser's fast paths give the same results as the straightforward ones: repeated reports, the
 * on-the-fly folding of parseReports, '\r' handling, lazy timestamps, and the literal
 * prefilter of the title regexes.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  createLogParser, createReportStream, mergeReports, parseAllReports, parseLine, parseReports, stripSyzkallerHeader, type Report,
} from "../../../harness/detect/index.ts";
import { findTitleFormat, isMultiLine, requiredLiteral, titleFormatsOf } from "../../../harness/detect/titles/index.ts";
import { GLOBAL_SKIP, expandPattern, skipRe } from "../../../harness/detect/skip.ts";
import { TITLE_WINDOW_LINES } from "../../../harness/detect/limits.ts";
import { BUG_FORMATS } from "../../../harness/detect/titles/bug.ts";
import { HUNG_TASK_FORMATS } from "../../../harness/detect/titles/hung-task.ts";
import { LOCKDEP_FORMATS, OLD_LOCKDEP_FORMATS } from "../../../harness/detect/titles/lockdep.ts";
import { WARNING_FORMATS } from "../../../harness/detect/titles/warning.ts";
import * as OTHER from "../../../harness/detect/titles/other.ts";
import type { TitleFormat } from "../../../harness/detect/titles/format.ts";
import { PROBE_RE, findHeader, isEndMarker } from "../../../harness/detect/headers.ts";
import { frameOf, isFrame, isStackStart } from "../../../harness/detect/frames.ts";

const FIX = join(import.meta.dirname, "../../fixtures");
const SYZ = join(FIX, "syzkaller-reports");
const REAL = join(FIX, "real-vm");

const files = [
  ...readdirSync(SYZ).filter((f) => /^\d+$/.test(f)).map((f) => stripSyzkallerHeader(readFileSync(join(SYZ, f), "utf8"))),
  ...readdirSync(REAL).filter((f) => f.endsWith(".log")).map((f) => readFileSync(join(REAL, f), "utf8")),
].map((t) => (t.endsWith("\n") ? t : t + "\n"));

/** The fixtures repeated, timestamps shifted by `round * 1000` s per copy (like bench/parse.ts). */
function repeated(rounds: number, subset = files): string {
  const out: string[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const t of subset) {
      out.push(t.replace(/\[ *([0-9]+)\.([0-9]{6})\]/g, (_m, s: string, us: string) => `[${String(Number(s) + round * 1000).padStart(5)}.${us}]`));
    }
  }
  return out.join("");
}

/** What a report says about the bug, without where and when it was seen. */
function essence(r: Report) {
  const { startLine: _s, endLine: _e, firstTimestamp: _f, lastTimestamp: _l, text: _t, count: _c, ...rest } = r;
  return rest;
}

describe("repeated reports", () => {
  it("give the same reports as a fresh parser on each copy", () => {
    const subset = files.slice(0, 40);
    const once = parseAllReports(repeated(1, subset));
    const thrice = parseAllReports(repeated(3, subset));
    expect(thrice).toHaveLength(once.length * 3);
    for (let i = 0; i < thrice.length; i++) expect(essence(thrice[i]!)).toEqual(essence(once[i % once.length]!));
  });

  it("do not share arrays or objects between reports", () => {
    const text = repeated(2, files.filter((t) => t.includes("possible circular locking")).slice(0, 3));
    const all = parseAllReports(text);
    const half = all.length / 2;
    expect(half).toBeGreaterThan(0);
    for (let i = 0; i < half; i++) {
      const a = all[i]!;
      const b = all[i + half]!;
      expect(essence(a)).toEqual(essence(b));
      expect(a.frames).not.toBe(b.frames);
      if (a.lockdep) {
        expect(a.lockdep).not.toBe(b.lockdep);
        expect(a.lockdep.chain).not.toBe(b.lockdep!.chain);
      }
    }
    all[0]!.frames.push("mutated");
    expect(all[half]!.frames).not.toContain("mutated");
  });

  it("stream and batch agree on a repeated log", () => {
    const text = repeated(3, files.slice(0, 60));
    const s = createReportStream();
    const out: Report[] = [];
    for (const l of text.split("\n").slice(0, -1)) out.push(...s.push(l));
    out.push(...s.end());
    expect(out.sort((a, b) => a.startLine - b.startLine)).toEqual(parseAllReports(text));
  });
});

describe("parseReports folds on the fly", () => {
  it("equals mergeReports(parseAllReports(...)), on every fixture and on a repeated log", () => {
    for (const t of [...files, repeated(3)]) expect(parseReports(t)).toEqual(mergeReports(parseAllReports(t)));
  });

  it("mergeReports leaves its input alone", () => {
    const all = parseAllReports(repeated(3, files.slice(0, 10)));
    const before = JSON.stringify(all);
    mergeReports(all, all);
    expect(JSON.stringify(all)).toBe(before);
  });
});

describe("carriage returns", () => {
  it("trailing runs and CRs at the start of a line: the same reports as without them", () => {
    const base = files.filter((t) => t.includes("Call Trace")).slice(0, 12).join("");
    const lines = base.split("\n");
    const withCr = lines.map((l, i) => (i % 7 === 0 ? l + "\r" : i % 7 === 2 ? "\r" + l : i % 7 === 3 ? l + "\r\r" : l)).join("\n");
    expect(withCr).not.toBe(base);
    const clean = withCr.replace(/\r/g, "");
    expect(parseAllReports(withCr)).toEqual(parseAllReports(clean));
    const s = createReportStream();
    const out: Report[] = [];
    for (const l of withCr.split("\n")) out.push(...s.push(l));
    out.push(...s.end());
    expect(out.sort((a, b) => a.startLine - b.startLine)).toEqual(parseAllReports(clean));
  });

  it("a lone CR inside a line ends a piece of it: a kernel line printed over a progress line is found", () => {
    const text = [
      "[  OK  ] Started foo.service.",
      "Load Kernel Modules.\r[   15.240235] INFO: task dd:42 blocked for more than 10 seconds.",
      "[   15.240236]       Not tainted 6.1.0 #1",
      "[   15.240237] Call Trace:",
      "[   15.240238]  <TASK>",
      "[   15.240239]  __schedule+0x34d/0xa00",
      "[   15.240240]  schedule+0x5a/0xd0",
      "[   15.240241]  mnt_want_write+0x8b/0x2c0",
      "[   15.240242]  do_sys_openat2+0x8b/0x2c0",
      "[   15.240243]  </TASK>",
      "",
    ].join("\n");
    const [r] = parseReports(text);
    expect(r).toMatchObject({ title: "INFO: task hung in mnt_want_write", startLine: 2, endLine: 10 });
    // the same through the stream, which gets the line with its CR
    const s = createReportStream();
    const out: Report[] = [];
    for (const l of text.split("\n").slice(0, -1)) out.push(...s.push(l));
    out.push(...s.end());
    expect(mergeReports(out)).toEqual(parseReports(text));
  });

  it("a CR-only log gives the same reports, line numbers included, as the same log with LF line ends", () => {
    const base = files.filter((t) => t.includes("Call Trace")).slice(0, 12).join("");
    const crOnly = base.replace(/\n/g, "\r");
    expect(crOnly).not.toContain("\n");
    expect(parseReports(crOnly)).toEqual(parseReports(base));
    // and in chunks that cut CR runs and lines anywhere
    const p = createLogParser();
    for (let i = 0; i < crOnly.length; i += 997) p.write(crOnly.slice(i, i + 997));
    expect(p.end().reports).toEqual(parseReports(base));
  });

  it("runs of trailing '\\r' (stripped on the fast path): the same reports and lines as without them", () => {
    // the real guest logs end their lines with "\r\n" already
    const base = [...files.filter((t) => t.includes("Call Trace")).slice(0, 12), ...files.slice(-3)].join("").replace(/\r/g, "");
    const lines = base.split("\n");
    const ends = ["\r\r", "\r\r\r", "\r", "", " \r\r", "\r\r\r\r"];
    const withCr = lines.map((l, i) => (i % 11 === 5 ? "\r\r\r" : l + ends[i % ends.length]!)).join("\n");
    const clean = withCr.replace(/\r/g, "");
    expect(parseAllReports(withCr)).toEqual(parseAllReports(clean));
    expect(parseReports(withCr)).toEqual(parseReports(clean));
    const s = createReportStream();
    const out: Report[] = [];
    for (const l of withCr.split("\n")) out.push(...s.push(l));
    out.push(...s.end());
    expect(out.sort((a, b) => a.startLine - b.startLine)).toEqual(parseAllReports(clean));
    for (const raw of ["[   1.000000] BUG: x\r\r", "<4>[   2.5][ T7] Call Trace:\r\r\r", "\r\r", "x login: [   1.0] y\r\r", "a\rb\r\r"]) {
      expect(parseLine(raw, 1)).toEqual(parseLine(raw.replace(/\r/g, ""), 1));
    }
  });

  it("inside a prefix: removed by parseLine", () => {
    for (const raw of ["[   1.0\r] INFO: task dd:1 blocked for more than 10 seconds.", "<6\r>[   1.0] x", "[   1.0][ T1\r] y", "vm login: \r[   1.0] z"]) {
      const p = parseLine(raw, 1);
      expect(p.text).not.toContain("\r");
      expect(p.raw).toBe(raw.replace(/\r/g, ""));
    }
  });
});

describe("timestamps and caller ids", () => {
  it("computes timestamps as before (long stamps through Number)", () => {
    expect(parseLine("[   12.345678] x", 1).ts).toBe(12 + 345678 / 1e6);
    expect(parseLine("[1234567890.1234567890] x", 1).ts).toBe(Number("1234567890.1234567890"));
    expect(parseLine("[ 0.5]", 1)).toMatchObject({ ts: 0.5, text: "" });
    expect(parseLine("** 3 printk messages dropped ** [  46.30] y", 1).ts).toBe(46.3);
    expect(parseLine("[ 12.5 ] x", 1).ts).toBeUndefined();
  });

  it("keeps caller ids as printed", () => {
    expect(parseLine("[    1.000000][ T0123] x", 1).ctx).toBe("T0123");
    expect(parseLine("[    1.000000][T123456789] x", 1).ctx).toBe("T123456789");
    expect(parseLine("[    1.000000][    C0] x", 1).ctx).toBe("C0");
    expect(parseLine("[    1.000000][    T7] x", 1).ctx).toBe("T7");
    expect(parseLine("[    1.000000][    C7] x", 1).ctx).toBe("C7");
  });

  it("reports carry the first and last timestamp of their lines", () => {
    const r = parseReports(repeated(2, files.slice(0, 5)));
    for (const x of r) if (x.firstTimestamp !== undefined) expect(x.lastTimestamp!).toBeGreaterThanOrEqual(x.firstTimestamp);
  });
});

describe("line probe (PROBE_RE)", () => {
  it("gates only exact tests: the same answers as without it, on every fixture line", () => {
    let probed = 0;
    for (const f of files) {
      for (const raw of f.split("\n")) {
        const t = parseLine(raw, 1).text;
        const probe = PROBE_RE.test(t);
        if (probe) probed++;
        expect(findHeader(t, probe)).toEqual(findHeader(t, true));
        expect(isStackStart(t, probe)).toBe(isStackStart(t, true));
        if (!probe) {
          expect(isEndMarker(t)).toBe(false);
          expect(t.includes("Sending NMI from CPU")).toBe(false);
        }
      }
    }
    expect(probed).toBeGreaterThan(0);
  });

  it("lets every header without a ':' through", () => {
    const lines = [
      "Unable to handle kernel paging request at virtual address dead000000000108",
      "general protection fault, probably for non-canonical address 0xdffffc0000000001: 0000 [#1] PREEMPT SMP KASAN",
      "general protection fault: 0000 [#1] SMP",
      "Kernel panic - not syncing: hung_task: blocked tasks",
      "kernel BUG at mm/filemap.c:1530!",
      "Kernel BUG at fs/xfs/xfs_message.c:102",
      "Out of memory and no killable processes...",
      "System is deadlocked on memory",
    ];
    for (const t of lines) {
      expect(PROBE_RE.test(t), t).toBe(true);
      expect(findHeader(t, PROBE_RE.test(t)), t).toBeDefined();
    }
  });
});

describe("frame test (isFrame)", () => {
  it("answers frameOf(line) !== undefined on every fixture line and on edge cases", () => {
    let frames = 0;
    const edge = [
      "  12.345", " [<ffffffff81000000>] 123+0x1/0x2", " [<c0101234>] (unwind_backtrace) from [<c0105678>] (show_stack+0x10/0x14)",
      " ? foo+0x1/0x2", "_foo.cold+0x1/0x2", "  Hardware name: x", "", " [<ffffffff81000000>] [<ffffffff81000001>] f.isra.0+0x1",
    ];
    for (const t of [...files.flatMap((f) => f.split("\n").map((raw) => parseLine(raw, 1).text)), ...edge]) {
      const got = isFrame(t); // first: frameOf would leave its answer in the cache isFrame reads
      const want = frameOf(t) !== undefined;
      if (want) frames++;
      expect(got, t).toBe(want);
    }
    expect(frames).toBeGreaterThan(1000);
  });
});

describe("title regex prefilter", () => {
  const formats: TitleFormat[] = [
    ...BUG_FORMATS, ...HUNG_TASK_FORMATS, ...LOCKDEP_FORMATS, ...OLD_LOCKDEP_FORMATS, ...WARNING_FORMATS,
    ...Object.values(OTHER).filter((v): v is TitleFormat[] => Array.isArray(v)).flat(),
  ];

  it("extracts the literal every match contains", () => {
    expect(requiredLiteral(/BUG: KASAN: ([a-z\-]+) in/)).toBe("BUG: KASAN: ");
    expect(requiredLiteral(/(WARNING|BUG): .* still has locks held!/)).toBe(" still has locks held!");
    expect(requiredLiteral(/WARNING: .*lib\/debugobjects\.c/)).toBe("lib/debugobjects.c");
    expect(requiredLiteral(/INFO: task [\s\S]{0,100}? blocked for more than/)).toBe(" blocked for more than");
    expect(requiredLiteral(/abc?d/)).toBe("ab");
    expect(requiredLiteral(/x{2,3}yz/)).toBe("yz");
    expect(requiredLiteral(/foo|bar/)).toBe("");
    expect(requiredLiteral(/foo/i)).toBe("");
    expect(requiredLiteral(/[Kk]ernel BUG at/)).toBe("ernel BUG at");
  });

  it("every title match in the fixtures contains its format's literal", () => {
    let matches = 0;
    for (const t of files) {
      for (const f of formats) {
        const m = new RegExp(f.title.source, f.title.flags.replace("g", "")).exec(t);
        if (!m) continue;
        matches++;
        expect(m[0]).toContain(requiredLiteral(f.title));
      }
    }
    expect(matches).toBeGreaterThan(100);
  });
});

describe("title search line by line", () => {
  it("finds the format a search of every regex in the joined text finds, on every header of the fixtures", () => {
    let checked = 0;
    for (const t of files) {
      const lines = t.split("\n").map((raw) => parseLine(raw, 1).text);
      for (let i = 0; i < lines.length; i++) {
        const hit = findHeader(lines[i]!);
        if (!hit) continue;
        const window = lines.slice(i, i + TITLE_WINDOW_LINES);
        const text = window.join("\n");
        // the straightforward search: the earliest match of any format, the first in list order among equals
        let want: { index: number; k: number } | undefined;
        titleFormatsOf(hit.header.header).forEach((f, k) => {
          const m = f.title.exec(text);
          if (m && (!want || m.index < want.index)) want = { index: m.index, k };
        });
        const got = findTitleFormat(window, hit.header.header);
        expect(got && titleFormatsOf(hit.header.header).indexOf(got.f), lines[i]).toBe(want?.k);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(300);
  });

  it("tells the regexes that may span lines from those that may not", () => {
    expect(isMultiLine(/a\nb/)).toBe(true);
    expect(isMultiLine(/[\s\S]{0,3}x/)).toBe(true);
    expect(isMultiLine(/[^']*/)).toBe(true);
    expect(isMultiLine(/^x/)).toBe(true);
    expect(isMultiLine(/(?=a)b/)).toBe(true);
    expect(isMultiLine(/[^'\n]*/)).toBe(false);
    expect(isMultiLine(/^x$/m)).toBe(false);
    expect(isMultiLine(/WARNING: .* at ([a-z]+\.c:[0-9]+)/)).toBe(false);
  });
});

describe("skip lists as one automaton", () => {
  const joined = (list: readonly string[]) => new RegExp(list.map((p) => `(?:${p})`).join("|"));
  const names = new Set<string>();
  for (const t of files) for (const raw of t.split("\n")) {
    const f = frameOf(parseLine(raw, 1).text);
    if (f) names.add(f);
  }
  // every word of every pattern, alone and inside other names, at both ends
  const words = GLOBAL_SKIP.flatMap((p) => expandPattern(p) ?? []).map((a) => a.lit);
  for (const w of words) for (const n of [w, `x${w}`, `${w}x`, `_${w}_`, w.slice(1), w.slice(0, -1)]) names.add(n);

  it("expands the patterns it can read, and only those", () => {
    expect(expandPattern("k?v?(?:m|z|c)alloc")!.map((a) => a.lit)).toContain("kvzalloc");
    expect(expandPattern("^(?:un)?lock_page")).toEqual([{ lit: "unlock_page", start: true, end: false }, { lit: "lock_page", start: true, end: false }]);
    expect(expandPattern("^(?:read|write)[bwlq]$")).toHaveLength(8);
    expect(expandPattern("(?:read|write)_once_.*nocheck")).toBeUndefined();
    expect(expandPattern("x?")).toBeUndefined();
  });

  it("answers as the patterns joined into one regex do, on every frame of the fixtures", () => {
    expect(names.size).toBeGreaterThan(3000);
    const extra = ["^lock_sock", "spin_", "_lock", "^_*folio", "(?:free|put|get|update|release)_page"];
    for (const [test, re] of [[skipRe(undefined), joined(GLOBAL_SKIP)], [skipRe(extra), joined([...GLOBAL_SKIP, ...extra])]] as const) {
      for (const n of names) expect(test.test(n), n).toBe(re.test(n));
    }
  });
});
