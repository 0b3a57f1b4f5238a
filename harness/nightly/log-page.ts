/**
 * A console or kernel log as a page: every line has an anchor (`#L<n>`, n as in the file, 1-based),
 * the lines of each kernel report are highlighted, and the report a link points at (its first line)
 * is marked more strongly. A huge log (a flood) is shown only around its reports, with a link to
 * the raw file.
 */
import { readFile, stat } from "node:fs/promises";
import { basename } from "node:path";
import { writeFileAtomic } from "../common/index.ts";
import { parseReports, type Report } from "../detect/index.ts";
import { BASE_CSS, esc } from "./html.ts";

/** Above this size only the reports and CONTEXT lines around them are rendered. */
export const FULL_LOG_MAX_BYTES = 8 << 20;
/** Above this size (a console flooded for hours) no page is made: reports link to the raw log. */
export const PAGE_LOG_MAX_BYTES = 64 << 20;
const CONTEXT = 200;
/** Terminal colour and cursor sequences (systemd's boot status lines): not shown. */
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

export interface LogReportLines {
  signature: string;
  title: string;
  startLine: number;
  endLine: number;
}

const SCRIPT = `(function(){
function mark(){document.querySelectorAll('.cur').forEach(function(e){e.classList.remove('cur')});
var id=location.hash.slice(1);var el=id&&document.getElementById(id);if(!el)return;
var r=el.getAttribute('data-report');
if(r!==null)document.querySelectorAll('[data-report="'+r+'"]').forEach(function(e){e.classList.add('cur')});
el.scrollIntoView({block:'start'});}
window.addEventListener('hashchange',mark);window.addEventListener('DOMContentLoaded',mark);})();`;

/** The HTML page of a log's text with these reports highlighted. */
export function renderLogPage(text: string, reports: readonly LogReportLines[], o: { title: string; raw: string; windowed?: boolean }): string {
  const lines = text.split("\n");
  if (lines.length && lines[lines.length - 1] === "") lines.pop();
  const owner = new Map<number, number>();
  reports.forEach((r, i) => {
    for (let l = r.startLine; l <= r.endLine; l++) if (!owner.has(l)) owner.set(l, i);
  });
  let keep: (n: number) => boolean = () => true;
  if (o.windowed) {
    const ranges = reports.map((r) => [r.startLine - CONTEXT, r.endLine + CONTEXT] as const);
    keep = (n) => ranges.some(([a, b]) => n >= a && n <= b);
  }
  const out: string[] = [];
  let skipped = 0;
  lines.forEach((raw, i) => {
    const n = i + 1;
    if (!keep(n)) {
      skipped++;
      return;
    }
    if (skipped) {
      out.push(`<span class="gap">… ${skipped} line(s) not shown (see the raw log) …</span>`);
      skipped = 0;
    }
    const r = owner.get(n);
    const attrs = r === undefined ? "" : ` class="rep${reports[r]!.startLine === n ? " start" : ""}" data-report="${r}"`;
    out.push(`<span id="L${n}"${attrs}><a class="n" href="#L${n}">${n}</a>${esc(raw.replace(/\r$/, "").replace(ANSI, ""))}</span>`);
  });
  if (skipped) out.push(`<span class="gap">… ${skipped} line(s) not shown …</span>`);
  const index = reports.map((r) => `<li><a href="#L${r.startLine}">${esc(r.title)}</a> <span class="mono">lines ${r.startLine}–${r.endLine}</span></li>`).join("");
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(o.title)}</title>
<style>${BASE_CSS}
pre{font:12px/1.35 ui-monospace,monospace;white-space:pre-wrap;word-break:break-all}
pre>span{display:block;min-height:1.35em;scroll-margin-top:25vh}.n{display:inline-block;width:5.5em;color:#999;text-decoration:none;user-select:none}
.rep{background:#fff3b0}.rep.cur{background:#ffc94d;outline:1px solid #e0a000}.gap{color:#999;font-style:italic}</style>
<script>${SCRIPT}</script></head><body>
<h1>${esc(o.title)}</h1><p><a href="${esc(o.raw)}">raw log</a>${o.windowed ? " · large log: only the reports and the lines around them are shown" : ""}</p>
${reports.length ? `<p>Kernel reports in this log:</p><ul>${index}</ul>` : "<p>No kernel report in this log.</p>"}
<pre>${out.join("")}</pre></body></html>
`;
}

/**
 * Render `<dir>/<log>` as `<dir>/<log minus .log>.html` with its reports found by the parser (the
 * same one that judged the attempt). Returns the reports with their lines in this log; none when
 * the log does not exist or is too large for a page.
 */
export async function writeLogPage(logPath: string, title: string): Promise<{ page: string; reports: LogReportLines[] } | undefined> {
  const st = await stat(logPath).catch(() => undefined);
  if (!st?.isFile() || st.size > PAGE_LOG_MAX_BYTES) return undefined;
  const windowed = st.size > FULL_LOG_MAX_BYTES;
  const text = await readFile(logPath, "utf8");
  const reports = parseReports(text).map((r: Report) => ({ signature: r.signature, title: r.title, startLine: r.startLine, endLine: r.endLine }));
  const page = logPath.replace(/\.log$/, "") + ".html";
  await writeFileAtomic(page, renderLogPage(text, reports, { title, raw: basename(logPath), windowed }));
  return { page, reports };
}
