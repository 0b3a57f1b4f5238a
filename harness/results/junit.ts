/**
 * JUnit XML: one testsuite per run, one testcase per scenario. Built with xmlbuilder2, which
 * escapes markup and replaces what XML 1.0 cannot hold (control characters, U+FFFE/U+FFFF,
 * lone surrogates) with U+FFFD, so the file stays well-formed whatever bytes a guest printed.
 */
import { create } from "xmlbuilder2";
import type { RunSummary, ScenarioSummary } from "./types.ts";

/** Text that a kernel (or a guest process) printed can be anything: cut it to a sane length too. */
const MAX_TEXT = 64 * 1024;
const cut = (s: string) => (s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}… (${s.length - MAX_TEXT} more characters)` : s);

function detail(sc: ScenarioSummary): string {
  return cut(
    sc.attempts
      .map((a) => `attempt ${a.attempt}: ${a.verdict}${a.reason ? ` (${a.reason})` : ""}${a.reports.length ? ` — ${a.reports.map((r) => r.title).join("; ")}` : ""}`)
      .join("\n"),
  );
}

export function toJUnit(s: RunSummary): string {
  const doc = create({ version: "1.0", encoding: "UTF-8", invalidCharReplacement: "\uFFFD" });
  const failures = s.scenarios.filter((x) => !x.met && x.outcome !== "infra" && x.outcome !== "skipped").length;
  const errors = s.scenarios.filter((x) => x.outcome === "infra").length;
  const skipped = s.scenarios.filter((x) => x.outcome === "skipped").length;
  const suite = doc
    .ele("testsuites")
    .ele("testsuite", {
      name: `hangar.${s.suite}`,
      tests: String(s.scenarios.length),
      failures: String(failures),
      errors: String(errors),
      skipped: String(skipped),
      timestamp: s.startedAt,
    });
  for (const sc of s.scenarios) {
    const tc = suite.ele("testcase", { classname: `hangar.${s.suite}`, name: sc.name, time: (sc.durationMs / 1000).toFixed(1) });
    const text = detail(sc);
    if (sc.outcome === "skipped") tc.ele("skipped", { message: cut(sc.reason ?? "skipped") });
    else if (sc.outcome === "infra") tc.ele("error", { message: cut(sc.reason ?? "infrastructure failure") }).txt(text);
    else if (!sc.met) tc.ele("failure", { message: `expected ${sc.expected}, got ${sc.outcome}` }).txt(text);
    tc.ele("system-out").txt(text);
  }
  return doc.end({ prettyPrint: true }) + "\n";
}
