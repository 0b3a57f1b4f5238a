/**
 * JUnit of a night: one testsuite per kernel, one testcase per scenario × kernel.
 * regression → failure (message: the report titles that made it one); infra → error;
 * flaky-known → skipped with the known issue's link; skipped → skipped; anything else passes.
 */
import type { NightSummary } from "./types.ts";

function esc(s: string): string {
  return (
    s
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
      // XML 1.0 forbids most control characters; kernel titles can carry them.
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "")
  );
}

export function nightJUnit(n: NightSummary): string {
  const suites = n.kernels.map((k) => {
    const cells = n.cells.filter((c) => c.kernel === k.key);
    const cases = cells.map((c) => {
      const detail = [c.reason, ...c.changes.map((x) => `${x.change}: ${x.title} (${x.base.hits}/${x.base.n} → ${x.cur.hits}/${x.cur.n}, p=${x.p.toPrecision(3)})${x.known ? ` known issue ${x.known.id} ${x.known.bug}` : ""}`)].join("\n");
      let body = "";
      if (c.state === "regression") {
        const titles = c.changes.filter((x) => x.bad).map((x) => x.title);
        body = `<failure message="${esc(titles.join("; ") || c.reason)}" type="regression">${esc(detail)}</failure>`;
      } else if (c.state === "infra") body = `<error message="${esc(c.reason)}" type="infra">${esc(detail)}</error>`;
      else if (c.state === "flaky-known") {
        const links = c.changes.filter((x) => x.known && x.cur.hits > 0).map((x) => x.known!.bug);
        body = `<skipped message="${esc(`known issue: ${[...new Set(links)].join(" ")}`)}"/>`;
      } else if (c.state === "skipped") body = `<skipped message="${esc(c.reason)}"/>`;
      return `    <testcase classname="hangar.nightly.${esc(k.key)}" name="${esc(c.scenario)}"><properties><property name="state" value="${c.state}"/></properties>${body}<system-out>${esc(detail)}</system-out></testcase>`;
    });
    const count = (s: string) => cells.filter((c) => c.state === s).length;
    return `  <testsuite name="hangar.nightly.${esc(k.key)}" tests="${cells.length}" failures="${count("regression")}" errors="${count("infra")}" skipped="${count("flaky-known") + count("skipped")}" timestamp="${esc(n.startedAt)}">\n${cases.join("\n")}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="hangar.nightly.${esc(n.runId)}">\n${suites.join("\n")}\n</testsuites>\n`;
}
