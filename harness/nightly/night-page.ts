/**
 * The page of one night (`<night>/night.html`): per kernel and scenario its state and why, the
 * signature comparison with the baseline (rates, p-values, known issues), and every attempt with its
 * reports, each linking into the console log page at the line where the report starts.
 */
import { relative } from "node:path";
import type { RunSummary } from "../results/index.ts";
import { BASE_CSS, cellAnchor, esc } from "./html.ts";
import type { LogReportLines } from "./log-page.ts";
import type { NightSummary, SignatureChange } from "./types.ts";

/** Reports found in an attempt's log pages, by attempt directory. */
export type AttemptLogs = Map<string, { console?: LogReportLines[]; dmesg?: LogReportLines[] }>;

const fmtP = (p: number) => (p >= 1 ? "1" : p < 0.001 ? p.toExponential(1) : p.toFixed(3));

function changeRow(c: SignatureChange): string {
  const known = c.known
    ? `<a href="${esc(c.known.bug)}">${esc(c.known.id)}</a> at ≤${(c.known.rate * 100).toFixed(0)}% (p=${fmtP(c.known.p)}${c.known.above ? ", above" : ""})`
    : "";
  return `<tr class="${c.bad ? "bad" : ""}"><td>${esc(c.change)}${c.bad ? " ✗" : ""}</td><td>${esc(c.title)}<div class="mono">${esc(c.signature)}</div></td><td>${c.base.hits}/${c.base.n}</td><td>${c.cur.hits}/${c.cur.n}</td><td>${fmtP(c.p)}</td><td>${known}</td></tr>`;
}

export function renderNightPage(n: NightSummary, runs: ReadonlyMap<string, RunSummary>, logs: AttemptLogs): string {
  const rel = (p: string) => relative(n.dir, p).split("\\").join("/");
  const sections = n.kernels.map((k) => {
    const run = runs.get(k.key);
    const cells = n.cells.filter((c) => c.kernel === k.key);
    const body = cells.map((c) => {
      const sc = run?.scenarios.find((s) => s.name === c.scenario);
      const attempts = (sc?.attempts ?? []).map((a) => {
        const found = logs.get(a.dir) ?? {};
        const reports = a.reports.map((r) => {
          const inConsole = found.console?.find((x) => x.signature === r.signature);
          const inDmesg = inConsole ? undefined : found.dmesg?.find((x) => x.signature === r.signature);
          const href = inConsole ? `${rel(a.dir)}/console.html#L${inConsole.startLine}` : inDmesg ? `${rel(a.dir)}/dmesg.html#L${inDmesg.startLine}` : `${rel(a.dir)}/console.log`;
          const where = inConsole ? `console line ${inConsole.startLine}` : inDmesg ? `dmesg line ${inDmesg.startLine}` : "log";
          return `<li><a class="report-link" href="${esc(href)}" data-signature="${esc(r.signature)}">${esc(r.title)}</a>${r.count > 1 ? ` ×${r.count}` : ""} <span class="mono">${esc(r.kind)} · ${where}</span></li>`;
        });
        const d = esc(rel(a.dir));
        const links = [
          found.console ? `<a href="${d}/console.html">console</a>` : "",
          found.dmesg ? `<a href="${d}/dmesg.html">dmesg</a>` : "",
          `<a href="${d}/console.log">raw console</a>`,
        ].filter(Boolean);
        return `<li><b>#${a.attempt}</b> ${esc(a.verdict)}${a.reason ? ` — ${esc(a.reason)}` : ""} · ${links.join(" · ")}${reports.length ? `<ul>${reports.join("")}</ul>` : ""}</li>`;
      });
      const table = c.changes.length
        ? `<table class="changes"><tr><th>change</th><th>report</th><th>baseline</th><th>tonight</th><th>p (Fisher)</th><th>known issue</th></tr>${c.changes.map(changeRow).join("")}</table>`
        : "";
      return `<section id="${cellAnchor(c.kernel, c.scenario)}" class="cell" data-state="${c.state}">
<h3><span class="state state-${c.state}">${c.state}</span> ${esc(c.scenario)} <small>${c.cell.reported}/${c.cell.judged} with reports${c.cell.infra ? `, ${c.cell.infra} infra` : ""}${c.baselineRun ? ` · baseline <a href="../${esc(c.baselineRun)}/night.html#${cellAnchor(c.kernel, c.scenario)}">${esc(c.baselineRun)}</a>` : ""}</small></h3>
<p>${esc(c.reason)}</p>${table}<ul class="attempts">${attempts.join("")}</ul></section>`;
    });
    return `<h2 id="kernel-${esc(k.key)}">kernel ${esc(k.key)}${k.version ? ` — ${esc(k.version)}` : ""} <small class="mono">${esc(k.spec)}</small></h2>${run ? `<p><a href="${esc(rel(run.dir))}/report.html">run report</a> · <a href="${esc(rel(run.dir))}/junit.xml">JUnit</a></p>` : ""}${body.join("\n")}`;
  });
  const counts = Object.entries(n.counts)
    .filter(([, v]) => v > 0)
    .map(([s, v]) => `<span class="state state-${s}">${s} ${v}</span>`)
    .join(" ");
  const warn = [...n.knownIssues.warnings.map((w) => `<li>${esc(w)}</li>`), ...n.knownIssues.maybeFixed.map((m) => `<li>maybe fixed: <a href="${esc(m.bug)}">${esc(m.id)}</a> not seen for ${m.nights} night(s)</li>`)];
  return `<!doctype html><html><head><meta charset="utf-8"><title>hangar nightly ${esc(n.runId)}</title>
<style>${BASE_CSS}
.state{padding:1px 6px;border:1px solid #aaa;border-radius:3px}section.cell{border-top:1px solid #ddd;margin-top:.8em}
h3{font-size:15px;margin:.6em 0 .2em}tr.bad td{background:#fde0e0}ul.attempts{margin:.3em 0}</style></head><body>
<p><a href="../index.html">← history</a></p>
<h1>hangar nightly ${esc(n.runId)}</h1>
<p>suite <b>${esc(n.suite)}</b> · ${esc(n.startedAt)} → ${esc(n.finishedAt)} · exit ${n.exitCode} · baseline ${n.baseline ? `<a href="../${esc(n.baseline)}/night.html">${esc(n.baseline)}</a>` : "none (first night)"} · α=${n.alpha} · <a href="nightly.json">nightly.json</a> · <a href="junit.xml">junit.xml</a></p>
${n.interrupted ? "<p><b>Interrupted</b> (Ctrl-C or SIGTERM): cells that did not run are infra.</p>" : ""}<p>${counts}</p>
${warn.length ? `<ul class="warnings">${warn.join("")}</ul>` : ""}
${sections.join("\n")}
</body></html>
`;
}
