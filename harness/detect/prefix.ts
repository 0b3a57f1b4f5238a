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

/** Caller ids (`T123`, `C1`) by number, so that a line's context is not a fresh string every time. */
const CTX_IDS = new Map<number, string>();
const CTX_CACHE_MAX = 4096;
let lastCtxKey = -1;
let lastCtx = "";

function ctxId(s: string, idStart: number, end: number): string {
  // canonical ids only (no leading zero): then the id string is a function of the number
  const len = end - idStart - 1;
  if (len > 7 || (len > 1 && s.charCodeAt(idStart + 1) === 48)) return s.slice(idStart, end);
  let id = 0;
  for (let k = idStart + 1; k < end; k++) id = id * 10 + (s.charCodeAt(k) - 48);
  const key = id * 2 + (s.charCodeAt(idStart) === 84 /* T */ ? 1 : 0);
  if (key === lastCtxKey) return lastCtx;
  let v = CTX_IDS.get(key);
  if (v === undefined) {
    v = s.slice(idStart, end);
    if (CTX_IDS.size >= CTX_CACHE_MAX) CTX_IDS.clear();
    CTX_IDS.set(key, v);
  }
  lastCtxKey = key;
  lastCtx = v;
  return v;
}

/**
 * A parsed line as the collector keeps it: the timestamp is located but only converted to seconds for
 * the few lines that need it (first and last stamped line of a report), see `tsOf`.
 */
export interface Line {
  n: number;
  raw: string;
  text: string;
  ctx: string;
  /** 0: no timestamp; 1: `[ 12.34]` stamp at raw[tsAt - 1] (digits from tsAt, spaces first); 2: Number(raw.slice(tsAt, tsEnd)) */
  tsKind: number;
  tsAt: number;
  tsEnd: number;
  /** where `raw` starts in the text being parsed when it is that text's line as is, else -1 (see LineSink) */
  off: number;
}

const STAMP_RE = /\[ *[0-9]+\.[0-9]+\]/y;

/** Seconds since boot of a line, when it carries a timestamp (as parseLine computes it). */
export function tsOf(l: Line): number | undefined {
  if (l.tsKind === 0) return undefined;
  const s = l.raw;
  if (l.tsKind === 2) return Number(s.slice(l.tsAt, l.tsEnd));
  let j = l.tsAt;
  while (s.charCodeAt(j) === 32) j++;
  const numStart = j;
  const end = l.tsEnd;
  if (end - numStart > 15) return Number(s.slice(numStart, end));
  let secs = 0;
  for (let c = s.charCodeAt(j); c !== 46; c = s.charCodeAt(++j)) secs = secs * 10 + (c - 48);
  j++;
  let frac = 0;
  let scale = 1;
  for (; j < end; j++) {
    frac = frac * 10 + (s.charCodeAt(j) - 48);
    scale *= 10;
  }
  return secs + frac / scale;
}

/** Parse `[ 12.34][ T12] ` at position i of `s`, or undefined when there is no stamp. */
function stampLine(s: string, i: number, n: number, off: number): Line | undefined {
  if (s.charCodeAt(i) !== 91 /* [ */) return undefined;
  STAMP_RE.lastIndex = i;
  if (!STAMP_RE.test(s)) return undefined;
  const close = STAMP_RE.lastIndex - 1;
  let j = close + 1;
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
        ctx = ctxId(s, idStart, k);
        j = k + 1;
      }
    }
  }
  if (s.charCodeAt(j) !== 32) {
    // a timestamp must be followed by a space; an empty message is still a kernel line
    if (j === s.length) return { n, raw: s, text: "", ctx, tsKind: 1, tsAt: i + 1, tsEnd: close, off };
    return undefined;
  }
  return { n, raw: s, text: s.slice(j + 1), ctx, tsKind: 1, tsAt: i + 1, tsEnd: close, off };
}

const SLOW_PREFIX_D_RE = new RegExp(SLOW_PREFIX_RE.source, "d");

/**
 * parseLine without the timestamp conversion.
 * @param allCRs remove every '\r' (as parseLine does). When false, only the trailing '\r's are
 * removed: any other '\r' of the line then ends up in `text` (no prefix form can hold one), where the
 * caller must look for it and parse again with allCRs.
 */
export function parseLineLazy(raw: string, n: number, allCRs = true, off = -1): Line {
  if (allCRs) {
    const cr = raw.indexOf("\r");
    if (cr >= 0) {
      raw = cr === raw.length - 1 ? raw.slice(0, cr) : raw.replace(/\r/g, "");
      off = -1;
    }
  } else if (raw.charCodeAt(raw.length - 1) === 13) {
    off = -1;
    // every trailing '\r' (`\r\r` line ends are common): the same as removing them all when the line
    // has no other '\r'
    let e = raw.length - 1;
    while (e > 0 && raw.charCodeAt(e - 1) === 13) e--;
    raw = raw.slice(0, e);
  }
  const c0 = raw.charCodeAt(0);
  let start = -1;
  if (c0 === 91 /* [ */) start = 0;
  else if (c0 === 60 /* < */) {
    let j = 1;
    while (isDigit(raw.charCodeAt(j))) j++;
    if (j > 1 && raw.charCodeAt(j) === 62 /* > */) start = j + 1;
  }
  if (start >= 0) {
    const r = stampLine(raw, start, n, off);
    if (r) return r;
    if (start > 0) return { n, raw, text: raw.slice(start), ctx: "", tsKind: 0, tsAt: 0, tsEnd: 0, off };
    return { n, raw, text: raw, ctx: "", tsKind: 0, tsAt: 0, tsEnd: 0, off };
  }
  if (raw.indexOf("] ") > 0 && (raw.indexOf(" login: ") >= 0 || raw.startsWith("** "))) {
    const m = SLOW_PREFIX_D_RE.exec(raw);
    if (m) {
      // strip everything up to and including the first "] " after the stamp
      const idx = m[0].length;
      const [a, b] = m.indices![1]!;
      return { n, raw, text: raw.slice(idx), ctx: m[2] ?? "console", tsKind: 2, tsAt: a, tsEnd: b, off };
    }
  }
  if (c0 === 32 && raw.startsWith(DMESG_CONTINUATION)) {
    // util-linux dmesg prints the further lines of a multi-line record (lockdep's "\n-> #1 …")
    // indented by the width of a timestamp instead of with one: drop that indentation.
    // Its context is the previous line's: the collector fills it in (CONTINUATION_CTX).
    return { n, raw, text: raw.slice(DMESG_CONTINUATION.length), ctx: CONTINUATION_CTX, tsKind: 0, tsAt: 0, tsEnd: 0, off };
  }
  return { n, raw, text: raw, ctx: "", tsKind: 0, tsAt: 0, tsEnd: 0, off };
}

/** The indentation of a continuation line in `dmesg` output: the width of "[12345.123456] ". */
const DMESG_CONTINUATION = " ".repeat(15);
/** Context of a `dmesg` continuation line until the collector gives it the previous line's. */
export const CONTINUATION_CTX = "\u0000continuation";

/** Split a raw console line into prefix context, timestamp and text. */
export function parseLine(raw: string, n: number): LogLine {
  const l = parseLineLazy(raw, n);
  const out: LogLine = { n: l.n, raw: l.raw, text: l.text, ctx: l.ctx };
  if (l.tsKind !== 0) out.ts = tsOf(l);
  return out;
}
