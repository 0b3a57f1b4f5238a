/**
 * JUnit of a night: one testsuite per kernel, one testcase per scenario × kernel.
 * regression → failure (message: the report titles that made it one); infra → error;
 * flaky-known → skipped with the known issue's link; skipped → skipped; anything else passes.
 */
import { create } from "xmlbuilder2";
import type { NightSummary } from "./types.ts";

/**
 * Built with xmlbuilder2 as the run's JUnit is (results/junit.ts): markup escaped, and what XML
 * 1.0 cannot hold (control characters, U+FFFE, lone surrogates) replaced, whatever a kernel printed.
 */
export function nightJUnit(n: NightSummary): string {
  const doc = create({ version: "1.0", encoding: "UTF-8", invalidCharReplacement: "\uFFFD" });
  const root = doc.ele("testsuites", { name: `hangar.nightly.${n.runId}` });
  for (const k of n.kernels) {
    const cells = n.cells.filter((c) => c.kernel === k.key);
    const count = (s: string) => cells.filter((c) => c.state === s).length;
    const suite = root.ele("testsuite", {
      name: `hangar.nightly.${k.key}`,
      tests: String(cells.length),
      failures: String(count("regression")),
      errors: String(count("infra")),
      skipped: String(count("flaky-known") + count("skipped")),
      timestamp: n.startedAt,
    });
    for (const c of cells) {
      const detail = [c.reason, ...c.changes.map((x) => `${x.change}: ${x.title} (${x.base.hits}/${x.base.n} → ${x.cur.hits}/${x.cur.n}, p=${x.p.toPrecision(3)})${x.known ? ` known issue ${x.known.id} ${x.known.bug}` : ""}`)].join("\n");
      const tc = suite.ele("testcase", { classname: `hangar.nightly.${k.key}`, name: c.scenario });
      tc.ele("properties").ele("property", { name: "state", value: c.state });
      if (c.state === "regression") {
        const titles = c.changes.filter((x) => x.bad).map((x) => x.title);
        tc.ele("failure", { message: titles.join("; ") || c.reason, type: "regression" }).txt(detail);
      } else if (c.state === "infra") tc.ele("error", { message: c.reason, type: "infra" }).txt(detail);
      else if (c.state === "flaky-known") {
        const links = c.changes.filter((x) => x.known && x.cur.hits > 0).map((x) => x.known!.bug);
        tc.ele("skipped", { message: `known issue: ${[...new Set(links)].join(" ")}` });
      } else if (c.state === "skipped") tc.ele("skipped", { message: c.reason });
      tc.ele("system-out").txt(detail);
    }
  }
  return doc.end() + "\n";
}
