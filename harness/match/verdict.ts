/**
 * Reports + expectations → attempt verdict.
 *
 * Each report is classified once, in this order:
 *   1. it matches a `forbid` entry        → forbidden
 *   2. it matches an expected signature   → matched
 *   3. it matches an `ignore` entry       → ignored
 *   4. otherwise                          → unexpected
 * Verdict: any forbidden report → `unexpected`; else any matched → `reproduced` (other reports are
 * still listed in `unexpected`, as extras); else any unexpected report → `unexpected`; else `clean`.
 */
import type { Report } from "../detect/index.ts";
import { matchesExpectation } from "./match.ts";
import type { ExpectedSignature, Expectations } from "./schema.ts";

export type MatchVerdict = "reproduced" | "clean" | "unexpected";

export interface MatchResult {
  verdict: MatchVerdict;
  /** one short sentence for logs and summaries */
  summary: string;
  matched: { expectation: string; reportIndex: number; title: string }[];
  /** reports no expectation names (with the verdict `reproduced` they are extras) */
  unexpected: { reportIndex: number; title: string; reason: string }[];
  forbidden: { expectation: string; reportIndex: number; title: string }[];
  ignored: number[];
  /** expected signatures that matched no report, with why each report missed */
  missing: { expectation: string; why: { reportIndex: number; title: string; why: string }[] }[];
}

function firstMatch(r: Report, list: ExpectedSignature[] | undefined): ExpectedSignature | undefined {
  return list?.find((e) => matchesExpectation(r, e).ok);
}

export function matchReports(reports: Report[], exp: Expectations): MatchResult {
  const res: MatchResult = { verdict: "clean", summary: "", matched: [], unexpected: [], forbidden: [], ignored: [], missing: [] };
  reports.forEach((r, i) => {
    const f = firstMatch(r, exp.forbid);
    if (f) {
      res.forbidden.push({ expectation: f.name, reportIndex: i, title: r.title });
      return;
    }
    const hits = exp.signatures.filter((e) => matchesExpectation(r, e).ok);
    if (hits.length) {
      for (const e of hits) res.matched.push({ expectation: e.name, reportIndex: i, title: r.title });
      return;
    }
    if (firstMatch(r, exp.ignore)) {
      res.ignored.push(i);
      return;
    }
    const reasons = exp.signatures.map((e) => `${e.name}: ${matchesExpectation(r, e).why}`);
    res.unexpected.push({
      reportIndex: i,
      title: r.title,
      reason: reasons.length ? `no expectation matches (${reasons.join("; ")})` : "no expectation names any report",
    });
  });
  for (const e of exp.signatures) {
    if (res.matched.some((m) => m.expectation === e.name)) continue;
    res.missing.push({
      expectation: e.name,
      why: reports.map((r, i) => ({ reportIndex: i, title: r.title, why: matchesExpectation(r, e).why ?? "" })),
    });
  }
  if (res.forbidden.length) {
    res.verdict = "unexpected";
    res.summary = `forbidden report: ${res.forbidden.map((f) => `${f.title} (${f.expectation})`).join(", ")}`;
  } else if (res.matched.length) {
    res.verdict = "reproduced";
    const names = exp.signatures.map((e) => e.name).filter((n) => res.matched.some((m) => m.expectation === n));
    res.summary = `reproduced: ${names.join(", ")}` + (res.unexpected.length ? ` (+${res.unexpected.length} other report(s))` : "");
  } else if (res.unexpected.length) {
    res.verdict = "unexpected";
    res.summary = `unexpected report: ${res.unexpected.map((u) => u.title).join(", ")}`;
  } else {
    res.verdict = "clean";
    res.summary = res.ignored.length ? `clean (${res.ignored.length} ignored report(s))` : "clean";
  }
  return res;
}
