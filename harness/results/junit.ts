import type { RunSummary } from "./types.ts";

function esc(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    // XML 1.0 forbids most control characters; kernel logs can contain them.
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "");
}

/** JUnit XML: one testsuite per run, one testcase per scenario. */
export function toJUnit(s: RunSummary): string {
  const cases = s.scenarios.map((sc) => {
    const secs = (sc.durationMs / 1000).toFixed(1);
    const detail = sc.attempts.map((a) => `attempt ${a.attempt}: ${a.verdict}${a.reason ? ` (${a.reason})` : ""}${a.reports.length ? ` — ${a.reports.map((r) => r.title).join("; ")}` : ""}`).join("\n");
    let body = "";
    if (sc.outcome === "skipped") body = `<skipped message="${esc(sc.reason ?? "skipped")}"/>`;
    else if (sc.outcome === "infra") body = `<error message="${esc(sc.reason ?? "infrastructure failure")}">${esc(detail)}</error>`;
    else if (!sc.met) body = `<failure message="${esc(`expected ${sc.expected}, got ${sc.outcome}`)}">${esc(detail)}</failure>`;
    return `  <testcase classname="hangar.${esc(s.suite)}" name="${esc(sc.name)}" time="${secs}">${body}<system-out>${esc(detail)}</system-out></testcase>`;
  });
  const failures = s.scenarios.filter((x) => !x.met && x.outcome !== "infra" && x.outcome !== "skipped").length;
  const errors = s.scenarios.filter((x) => x.outcome === "infra").length;
  const skipped = s.scenarios.filter((x) => x.outcome === "skipped").length;
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<testsuites>\n<testsuite name="hangar.${esc(s.suite)}" tests="${s.scenarios.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" timestamp="${esc(s.startedAt)}">\n` +
    cases.join("\n") +
    `\n</testsuite>\n</testsuites>\n`
  );
}
