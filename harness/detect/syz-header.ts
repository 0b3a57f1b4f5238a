/** syzkaller test files start with `TITLE:`/`TYPE:`/… header lines up to the first blank line. */

const HEADER_LINE = /^(?:TITLE|ALT|TYPE|FRAME|CORRUPTED|SUPPRESSED|PANICKED|EXECUTOR|START|END):|^#/;

export interface SyzkallerHeader {
  title: string;
  alt: string[];
  type?: string;
  frame?: string;
  corrupted: boolean;
}

function headerEnd(text: string): number {
  if (!HEADER_LINE.test(text)) return -1;
  let pos = 0;
  while (pos <= text.length) {
    const nl = text.indexOf("\n", pos);
    const line = (nl < 0 ? text.slice(pos) : text.slice(pos, nl)).replace(/\r$/, "");
    if (line === "") return nl < 0 ? text.length : nl + 1;
    if (!HEADER_LINE.test(line)) return -1;
    if (nl < 0) return text.length;
    pos = nl + 1;
  }
  return -1;
}

/** Remove a syzkaller test header (when present); the console log follows. */
export function stripSyzkallerHeader(text: string): string {
  const end = headerEnd(text);
  return end < 0 ? text : text.slice(end);
}

/** Number of lines the header occupies (0 when absent), to map line numbers back to the file. */
export function syzkallerHeaderLines(text: string): number {
  const end = headerEnd(text);
  if (end < 0) return 0;
  let n = 0;
  for (let i = 0; i < end; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

export function parseSyzkallerHeader(text: string): SyzkallerHeader | undefined {
  const end = headerEnd(text);
  if (end < 0) return undefined;
  const h: SyzkallerHeader = { title: "", alt: [], corrupted: false };
  for (const line of text.slice(0, end).split("\n")) {
    const m = /^([A-Z]+): ?(.*)$/.exec(line.replace(/\r$/, ""));
    if (!m) continue;
    const v = m[2]!.trim();
    if (m[1] === "TITLE") h.title = v;
    else if (m[1] === "ALT") h.alt.push(v);
    else if (m[1] === "TYPE") h.type = v;
    else if (m[1] === "FRAME") h.frame = v;
    else if (m[1] === "CORRUPTED") h.corrupted = v === "Y";
  }
  return h;
}
