/**
 * Console line prefixes: `[   12.345678]`, `[   12.345678][ T123]`, `<6>`, `** N printk messages dropped ** `,
 * `host login: ` glued in front of a kernel line. Pure string scanning, no regex on the fast path.
 */

export interface LogLine {
  /** 1-based line number in the source text */
  n: number;
  /** the line as read, `\r` removed */
  raw: string;
  /** the line without its console prefix */
  text: string;
  /** "" (no timestamp), "console" (timestamp, no caller id) or the caller id (`T123`, `C1`) */
  ctx: string;
  /** seconds since boot, when the line carries a timestamp */
  ts?: number;
}

const SLOW_PREFIX_RE =
  /^(?:\*\* [0-9]+ printk messages dropped \*\* )?(?:.* login: )?(?:<[0-9]+>)?\[ *([0-9]+\.[0-9]+)\](?:\[ *([CT][0-9]+)\])? /;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Parse `[ 12.34][ T12] ` at position i. Returns [end index, ts, ctx] or undefined. */
function parseStampAt(s: string, i: number): [number, number, string] | undefined {
  if (s.charCodeAt(i) !== 91 /* [ */) return undefined;
  let j = i + 1;
  while (s.charCodeAt(j) === 32) j++;
  const numStart = j;
  let secs = 0;
  for (let c = s.charCodeAt(j); isDigit(c); c = s.charCodeAt(++j)) secs = secs * 10 + (c - 48);
  if (j === numStart || s.charCodeAt(j) !== 46 /* . */) return undefined;
  j++;
  const fracStart = j;
  let frac = 0;
  let scale = 1;
  for (let c = s.charCodeAt(j); isDigit(c); c = s.charCodeAt(++j)) {
    frac = frac * 10 + (c - 48);
    scale *= 10;
  }
  if (j === fracStart || s.charCodeAt(j) !== 93 /* ] */) return undefined;
  const ts = j - numStart > 15 ? Number(s.slice(numStart, j)) : secs + frac / scale;
  j++;
  let ctx = "console";
  if (s.charCodeAt(j) === 91) {
    let k = j + 1;
    while (s.charCodeAt(k) === 32) k++;
    const c = s.charCodeAt(k);
    if (c === 67 /* C */ || c === 84 /* T */) {
      const idStart = k;
      k++;
      const dStart = k;
      while (isDigit(s.charCodeAt(k))) k++;
      if (k > dStart && s.charCodeAt(k) === 93) {
        ctx = s.slice(idStart, k);
        j = k + 1;
      }
    }
  }
  if (s.charCodeAt(j) !== 32) {
    // a timestamp must be followed by a space; an empty message is still a kernel line
    if (j === s.length) return [j, ts, ctx];
    return undefined;
  }
  return [j + 1, ts, ctx];
}

/** Split a raw console line into prefix context, timestamp and text. */
export function parseLine(raw: string, n: number): LogLine {
  if (raw.indexOf("\r") >= 0) raw = raw.replace(/\r/g, "");
  const c0 = raw.charCodeAt(0);
  let start = -1;
  if (c0 === 91 /* [ */) start = 0;
  else if (c0 === 60 /* < */) {
    let j = 1;
    while (isDigit(raw.charCodeAt(j))) j++;
    if (j > 1 && raw.charCodeAt(j) === 62 /* > */) start = j + 1;
  }
  if (start >= 0) {
    const r = parseStampAt(raw, start);
    if (r) return { n, raw, text: raw.slice(r[0]), ctx: r[2], ts: r[1] };
    if (start > 0) return { n, raw, text: raw.slice(start), ctx: "" };
    return { n, raw, text: raw, ctx: "" };
  }
  if (raw.indexOf("] ") > 0 && (raw.indexOf(" login: ") >= 0 || raw.startsWith("** "))) {
    const m = SLOW_PREFIX_RE.exec(raw);
    if (m) {
      // strip everything up to and including the first "] " after the stamp
      const idx = m[0].length;
      return { n, raw, text: raw.slice(idx), ctx: m[2] ?? "console", ts: Number(m[1]) };
    }
  }
  return { n, raw, text: raw, ctx: "" };
}
