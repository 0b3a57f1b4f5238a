import { relative } from "node:path";
import type { RunSummary } from "./types.ts";

/** Text for HTML content and double-quoted attributes (every results page uses this one). */
export const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const esc = escapeHtml;

/** A self-contained HTML page: one row per scenario, one line per attempt with links to its logs. */
export function toHtml(s: RunSummary): string {
  const rows = s.scenarios
    .map((sc) => {
      const cls = sc.outcome === "infra" ? "infra" : sc.outcome === "skipped" ? "skip" : sc.met ? "ok" : "bad";
      const rate = sc.rate ? `${sc.rate.k}/${sc.rate.n} (${(sc.rate.low * 100).toFixed(0)}–${(sc.rate.high * 100).toFixed(0)}%)` : "";
      const attempts = sc.attempts
        .map((a) => {
          const rel = relative(s.dir, a.dir);
          const titles = a.reports.map((r) => esc(r.title) + (r.count > 1 ? ` ×${r.count}` : "")).join("<br>");
          return `<li><b>#${a.attempt}</b> ${esc(a.verdict)}${a.reason ? ` — ${esc(a.reason)}` : ""} · <a href="${esc(rel)}/console.log">console</a> · <a href="${esc(rel)}/dmesg.log">dmesg</a> · <a href="${esc(rel)}/reports.json">reports</a>${titles ? `<div class="t">${titles}</div>` : ""}${a.storage?.length ? `<div class="s">storage: ${a.storage.map(esc).join("<br>")}</div>` : ""}${a.pressure ? `<div class="s">pressure${a.pressure.asked ? "" : " (none asked)"}: ${esc(a.pressure.summary)}</div>` : ""}</li>`;
        })
        .join("");
      return `<tr class="${cls}"><td>${esc(sc.name)}</td><td>${esc(sc.expected)}</td><td>${esc(sc.outcome)}</td><td>${sc.met ? "yes" : "no"}</td><td>${rate}</td><td><ul>${attempts}</ul></td></tr>`;
    })
    .join("\n");
  return `<!doctype html><html><head><meta charset="utf-8"><title>hangar ${esc(s.runId)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top}
tr.ok td:nth-child(3){background:#dfd}tr.bad td:nth-child(3){background:#fdd}tr.infra td:nth-child(3){background:#fed}tr.skip td:nth-child(3){background:#eee}
ul{margin:0;padding-left:1em}.t{font-family:monospace;font-size:12px;color:#444}.s{font-size:12px;color:#555}</style></head><body>
<h1>hangar run ${esc(s.runId)}</h1>
<p>suite <b>${esc(s.suite)}</b> · kernel ${esc(s.kernel.version ?? s.kernel.path)} (${esc(s.kernel.source)}) · accel ${esc(s.host.accel)} · ${esc(s.startedAt)} → ${esc(s.finishedAt)} · exit ${s.exitCode}</p>
<table><tr><th>scenario</th><th>expected</th><th>outcome</th><th>met</th><th>rate (95% CI)</th><th>attempts</th></tr>
${rows}
</table></body></html>
`;
}
