/**
 * `<results>/index.html`, the page people read in the morning: per kernel a scenario × night grid
 * (newest night on the right; colour per state; attempts with reports / judged attempts; badges for
 * signatures new or gone against the baseline), and per scenario a sparkline of that rate over the
 * last nights. Built from the history index alone, so it stays fast at 1,000 nights.
 */
import { writeFileAtomic } from "../common/index.ts";
import { join } from "node:path";
import type { HistoryCell, HistoryEntry } from "./history.ts";
import { BASE_CSS, STATE_COLOURS, cellAnchor, esc } from "./html.ts";

export const GRID_NIGHTS = 30;
export const PAGE_FILE = "index.html";

/** An inline SVG line of rates in [0, 1] (null: no judged attempt that night, drawn as a gap). */
export function sparkline(rates: readonly (number | null)[], w = 120, h = 22): string {
  const step = rates.length > 1 ? w / (rates.length - 1) : 0;
  const y = (r: number) => (h - 2 - r * (h - 4)).toFixed(1);
  const segments: string[][] = [[]];
  rates.forEach((r, i) => {
    if (r === null) {
      if (segments[segments.length - 1]!.length) segments.push([]);
      return;
    }
    segments[segments.length - 1]!.push(`${(i * step).toFixed(1)},${y(r)}`);
  });
  const lines = segments
    .filter((s) => s.length)
    .map((s) => (s.length === 1 ? `<circle cx="${s[0]!.split(",")[0]}" cy="${s[0]!.split(",")[1]}" r="1.5"/>` : `<polyline points="${s.join(" ")}"/>`))
    .join("");
  const shown = rates.map((r) => (r === null ? "-" : r.toFixed(2))).join(" ");
  return `<svg class="spark" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" data-rates="${shown}" role="img" aria-label="rate over ${rates.length} nights"><line x1="0" y1="${h - 2}" x2="${w}" y2="${h - 2}"/>${lines}</svg>`;
}

function cellHtml(e: HistoryEntry, c: HistoryCell | undefined, kernel: string, scenario: string): string {
  if (!c) return `<td class="cell none" data-run="${esc(e.runId)}"></td>`;
  const titles = (sigs: string[] | undefined) => (sigs ?? []).map((s) => e.signatures[s]?.title ?? s).join("\n");
  const badges =
    (c.new?.length ? `<span class="badge new" title="${esc("new: " + titles(c.new))}">+${c.new.length}</span>` : "") +
    (c.gone?.length ? `<span class="badge gone" title="${esc("gone: " + titles(c.gone))}">−${c.gone.length}</span>` : "");
  const text = c.judged ? `${c.reported}/${c.judged}` : c.state === "skipped" ? "skip" : "infra";
  const tip = `${c.state}: ${scenario} on ${kernel}, ${e.runId}\n${c.reported}/${c.judged} judged attempts with reports${c.infra ? `, ${c.infra} infra` : ""}`;
  return `<td class="cell state-${c.state}" data-run="${esc(e.runId)}" data-state="${c.state}" title="${esc(tip)}"><a href="${esc(e.runId)}/night.html#${cellAnchor(kernel, scenario)}">${text}</a>${badges}</td>`;
}

export function renderHistoryPage(history: readonly HistoryEntry[], o: { nights?: number; generatedAt?: string } = {}): string {
  const nights = history.slice(-(o.nights ?? GRID_NIGHTS));
  const kernels: string[] = [];
  for (const e of nights) for (const k of e.kernels) if (!kernels.includes(k.key)) kernels.push(k.key);
  const last = nights[nights.length - 1];
  const sections = kernels.map((k) => {
    const scenarios: string[] = [];
    for (const e of nights) for (const c of e.cells) if (c.kernel === k && !scenarios.includes(c.scenario)) scenarios.push(c.scenario);
    scenarios.sort();
    const lookup = nights.map((e) => new Map(e.cells.filter((c) => c.kernel === k).map((c) => [c.scenario, c])));
    const head = nights.map((e) => `<th class="night"><a href="${esc(e.runId)}/night.html" title="${esc(e.runId)}">${esc(e.runId.slice(4, 6))}-${esc(e.runId.slice(6, 8))}<br>${esc(e.runId.slice(9, 13))}</a></th>`).join("");
    const rows = scenarios.map((s) => {
      const rates = lookup.map((m) => {
        const c = m.get(s);
        return c && c.judged ? c.reported / c.judged : null;
      });
      const cells = nights.map((e, i) => cellHtml(e, lookup[i]!.get(s), k, s)).join("");
      return `<tr data-scenario="${esc(s)}"><th class="scn">${esc(s)}</th><td class="sp">${sparkline(rates)}</td>${cells}</tr>`;
    });
    const version = [...nights].reverse().flatMap((e) => e.kernels).find((x) => x.key === k)?.version;
    return `<h2>kernel ${esc(k)}${version ? ` <small class="mono">${esc(version)}</small>` : ""}</h2>
<table class="grid" data-kernel="${esc(k)}"><tr><th>scenario</th><th>rate, last ${nights.length}</th>${head}</tr>
${rows.join("\n")}</table>`;
  });
  const legend = Object.keys(STATE_COLOURS)
    .map((s) => `<span class="state-${s}">${s}</span>`)
    .join("");
  return `<!doctype html><html><head><meta charset="utf-8"><title>hangar nightly history</title>
<style>${BASE_CSS}
table.grid td.cell{text-align:center;white-space:nowrap;min-width:3.2em}table.grid td.cell a{color:#222;text-decoration:none}
table.grid th.night{font-weight:400;font-size:11px}th.scn{text-align:left}td.none{background:#fafafa}
svg.spark line{stroke:#ccc;stroke-width:1}svg.spark polyline{fill:none;stroke:#c62828;stroke-width:1.5}svg.spark circle{fill:#c62828}</style></head><body>
<h1>hangar nightly history</h1>
<p>${history.length} night(s)${last ? ` · latest <a href="${esc(last.runId)}/night.html">${esc(last.runId)}</a> (exit ${last.exitCode})` : ""}${o.generatedAt ? ` · generated ${esc(o.generatedAt)}` : ""} · cells show attempts with reports / judged attempts; badges count signatures new (+) or gone (−) against the baseline</p>
<p class="legend">${legend}</p>
${sections.length ? sections.join("\n") : "<p>No nightly run yet.</p>"}
</body></html>
`;
}

export async function writeHistoryPage(root: string, history: readonly HistoryEntry[]): Promise<string> {
  const file = join(root, PAGE_FILE);
  await writeFileAtomic(file, renderHistoryPage(history, { generatedAt: new Date().toISOString() }));
  return file;
}
