/** Small HTML helpers shared by the nightly pages. */
export { escapeHtml as esc } from "../results/index.ts";

/** A name safe in an HTML id and a URL fragment. */
export function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]+/g, "_");
}

/** The id of a cell's section on a night page (the grid links to it). */
export function cellAnchor(kernel: string, scenario: string): string {
  return `c-${slug(kernel)}--${slug(scenario)}`;
}

/** One colour per state: the grid, the night page and the legend use the same. */
export const STATE_COLOURS: Record<string, string> = {
  regression: "#f4a4a4",
  fixed: "#9fd8f0",
  "flaky-known": "#f7e08a",
  unchanged: "#b8e6b0",
  infra: "#f8c48a",
  skipped: "#dddddd",
  first: "#e6e0f8",
};

export const BASE_CSS = `body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}
a{color:#1452a3}h1{font-size:20px}h2{font-size:17px;margin-top:1.6em}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 6px;vertical-align:top}
th{background:#f4f4f4;font-weight:600}.mono{font-family:ui-monospace,monospace;font-size:12px}
${Object.entries(STATE_COLOURS)
  .map(([s, c]) => `.state-${s}{background:${c}}`)
  .join("\n")}
.badge{display:inline-block;border-radius:8px;padding:0 5px;margin-left:3px;font-size:11px;font-weight:600;color:#fff}
.badge.new{background:#c62828}.badge.gone{background:#1565c0}
.legend span{display:inline-block;padding:2px 8px;margin-right:4px;border:1px solid #bbb}`;
