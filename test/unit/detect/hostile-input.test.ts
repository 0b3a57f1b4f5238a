/**
 * No input stalls the parser (issue 14 part 0): every report family's oops line followed by 1 MB of
 * long or pathological lines parses in under 1 s, and no single push() of the live console consumer
 * takes more than 100 ms, whatever the line.
 *
 * The machine is shared with other jobs: each figure is the best of up to three runs (a slow run must
 * be slow every time to fail the test), which is how a stall shows and noise does not.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  createReportStream, parseReports, parseReportsWithin, stripSyzkallerHeader, MAX_LINE_CHARS,
} from "../../../harness/detect/index.ts";
import { findHeader } from "../../../harness/detect/headers.ts";

const SYZ = join(import.meta.dirname, "../../fixtures/syzkaller-reports");
const MB = 1 << 20;

/** One oops line per report family of the corpus (INDEX.tsv category), as the kernel printed it. */
function familyHeaders(): [string, string][] {
  const rows = readFileSync(join(SYZ, "INDEX.tsv"), "utf8").trim().split("\n").slice(1).map((l) => l.split("\t"));
  const out = new Map<string, string>();
  for (const [file, title, , , category] of rows) {
    if (!title || out.has(category!)) continue;
    const text = stripSyzkallerHeader(readFileSync(join(SYZ, file!), "utf8"));
    const line = text.split("\n").find((l) => findHeader(l.replace(/^.*?\] /, "")) !== undefined);
    if (line) out.set(category!, line);
  }
  // the headers with a hand-made history of super-linear patterns
  out.set("flush-dependency", "[   38.9] workqueue: WQ_MEM_RECLAIM nfsiod:nfs_local_call_write is flushing !WQ_MEM_RECLAIM x:");
  out.set("bare-bug", "[   38.9] BUG: ");
  out.set("warning-at", "[   38.9] WARNING: CPU: 0 PID: 1 at ");
  return [...out];
}

/** Pieces that made a regex backtrack: name runs with dots, colons, " at file.c:1", offsets, "at: "... */
const PIECES = ["a.", "a:", " at a.c:1", "0", " ", "a+0x", "at: ", "(&", "WARNING: ", "Read ", "a/", "\t", "x_1"];

/** Texts are built when a test needs them: 100 MB of them alive at once would make GC pauses the figure. */
function fillers(header: string): [string, () => string][] {
  const lineOf = (p: string) => p.repeat(Math.ceil(1100 / p.length)).slice(0, 1100);
  const lines = (f: (i: number) => string) => {
    const out = [header];
    for (let i = 0, n = 0; n < MB; i++) {
      const l = f(i);
      out.push(l);
      n += l.length + 1;
    }
    return out.join("\n") + "\n";
  };
  return [
    ["one 1 MB line", () => header + "a.".repeat(MB / 2) + "\n"],
    ["1 MB of pathological lines in the report", () => lines((i) => (i % 3 === 0 ? "[    1.000001]  " : "[    1.000001] ") + lineOf(PIECES[i % PIECES.length]!))],
    ["1 MB of the oops line with pathological tails", () => lines((i) => header + lineOf(PIECES[i % PIECES.length]!))],
    ["1 MB of unstamped frame-like lines", () => lines((i) => " " + lineOf(PIECES[i % PIECES.length]!) + "+0x1/0x2")],
  ];
}

function bestOf3(f: () => number): number {
  let best = Infinity;
  for (let i = 0; i < 3 && best > 100; i++) best = Math.min(best, f());
  return best;
}

const cases = familyHeaders().flatMap(([family, header]) => fillers(header).map(([what, text]) => [family, what, text] as const));

describe("hostile input", () => {
  it("covers every report family of the corpus", () => {
    expect(new Set(cases.map((c) => c[0])).size).toBeGreaterThan(20);
  });

  it.each(cases.map(([f, w, t]) => [`${f}: ${w}`, t] as const))("%s parses in under 1 s", (_name, make) => {
    const text = make();
    const ms = bestOf3(() => {
      const t0 = performance.now();
      parseReports(text);
      return performance.now() - t0;
    });
    expect(ms).toBeLessThan(1000);
  });

  it("no push() of the live consumer takes 100 ms or more", () => {
    // CPU time of each push: on a machine that other jobs share, the wall clock also counts the time
    // the process waits for a core, which no parser can help; on an idle machine the two agree
    const cpuMs = () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    };
    let worst = { ms: 0, what: "" };
    for (const [family, what, make] of cases) {
      const lines = make().split("\n");
      const ms = bestOf3(() => {
        const s = createReportStream();
        let max = 0;
        for (const l of lines) {
          const t0 = cpuMs();
          s.push(l);
          max = Math.max(max, cpuMs() - t0);
        }
        const t0 = cpuMs();
        s.end();
        return Math.max(max, cpuMs() - t0);
      });
      if (ms > worst.ms) worst = { ms, what: `${family}: ${what}` };
    }
    expect(worst.ms, worst.what).toBeLessThan(100);
  });

  it("a line of any length is cut, not held", () => {
    const s = createReportStream();
    const [r] = [...s.push("[    1.0] BUG: " + "x".repeat(8 * MB)), ...s.push("[    1.1] Call Trace:"), ...s.end()];
    expect(r!.text.length).toBeLessThan(2 * MAX_LINE_CHARS);
    expect(r!.title.length).toBeLessThanOrEqual(120);
  });

  it("with a time budget, returns what it found so far and says the log was not finished", () => {
    const hung = readFileSync(join(import.meta.dirname, "../../fixtures/real-vm/debian-6.1-fsfreeze-hung-task.console.log"), "utf8");
    const noise = ("[   99.000000] systemd[1]: Started something.\n").repeat(2_000_000);
    parseReports(hung); // warm-up: the budget is for parsing, not for compiling the parser
    const text = [hung, noise, hung.replace(/dd:427/g, "dd:428")].join("");
    text.indexOf("\u0001"); // a flat string: the budget is for parsing, not for flattening a rope
    const whole = parseReportsWithin(text);
    expect(whole.complete).toBe(true);
    expect(whole.reports.map((r) => r.task?.pid)).toEqual([427, 428]);
    const cut = parseReportsWithin(text, { budgetMs: 150 });
    expect(cut.complete).toBe(false);
    expect(cut.lines).toBeLessThan(whole.lines);
    // the first report was found before the budget ran out, the second (after the noise) was not
    expect(cut.reports.map((r) => r.task?.pid)).toEqual([427]);
  });

  it("a report still open when the budget runs out is kept as far as it got, marked truncated", () => {
    const lines = ["[    1.0] INFO: task dd:7 blocked for more than 10 seconds.", "[    1.0] Call Trace:", "[    1.0]  <TASK>"];
    for (let i = 0; i < 1900; i++) lines.push(`[    1.0]  f${i}+0x1/0x2`);
    const text = lines.join("\n") + "\n" + "[    2.0]  </TASK>\n";
    let res = parseReportsWithin(text, { budgetMs: 0 });
    // the clock is read every few hundred lines: with no budget at all the parse stops at the first reading
    expect(res.complete).toBe(false);
    expect(res.reports).toHaveLength(1);
    expect(res.reports[0]!.corruptedReason).toContain("parse time budget ran out");
    res = parseReportsWithin(text, { budgetMs: 60_000 });
    expect(res.complete).toBe(true);
    expect(res.reports[0]!.corrupted).toBe(false);
  });
});
