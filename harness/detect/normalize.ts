/** Title normalization, so that the same bug gets the same title on every run (syzkaller rules). */
import { MAX_RAW_TITLE_CHARS } from "./limits.ts";

const RULES: [RegExp, string][] = [
  [/syz-executor\.?[0-9]+(?:(?:\/|:)[0-9]+)?/g, "syz-executor"],
  [/syzkaller[0-9]+(?:(?:\/|:)[0-9]+)?/g, "syzkaller"],
  [/([^a-zA-Z0-9])(?:0x)?[0-9a-f]{6,}/g, "$1ADDR"],
  [/([^a-zA-Z0-9.])(?:[0-9]{1,3}\.){3}[0-9]{1,3}/g, "$1IP"],
  [/(\.\w+)(?::[0-9]+)+/g, "$1:LINE"],
  // starting only where a name starts (the lookbehind) keeps this linear on long runs of name characters
  [/(?<![a-zA-Z0-9_.])([a-zA-Z0-9_.]+)\+0x[0-9a-f]+\/0x[0-9a-f]+/g, "$1"],
  [/CPU#[0-9]+/g, "CPU"],
  [/(\W)(\d+)(\W|$)/g, "$1NUM$3"],
  [/\d{7,}/g, "NUM"],
];

/**
 * A copy of `s` that does not share memory with the text it was cut from: a substring may keep the
 * whole input chunk it came from alive, which a long-lived cache entry must not do.
 */
export function detach(s: string): string {
  return s.length === 0 ? s : (" " + s).slice(1);
}

const MEMO_MAX = 4096;
const memo = new Map<string, string>();

/**
 * normalizeTitle is pure and titles repeat (the same bug over and over): memoized, bounded. Only the
 * first MAX_RAW_TITLE_CHARS characters are normalized (the title keeps 120).
 */
export function normalizeTitle(whole: string): string {
  const title = whole.length > MAX_RAW_TITLE_CHARS ? whole.slice(0, MAX_RAW_TITLE_CHARS) : whole;
  let v = memo.get(title);
  if (v === undefined) {
    v = normalizeTitleUncached(title);
    if (memo.size >= MEMO_MAX) memo.clear();
    // a title may be a substring of a large input text, which the memo must not keep alive
    memo.set(detach(title), detach(v));
  }
  return v;
}

function normalizeTitleUncached(title: string): string {
  let t = title;
  for (let i = 0; i < 10; i++) {
    let next = t;
    for (const [re, rep] of RULES) next = next.replace(re, rep);
    if (next === t) break;
    t = next;
  }
  return sanitizeTitle(t);
}

export function sanitizeTitle(t: string): string {
  let s = t.replace(/\t/g, " ");
  // drop control and non-ASCII bytes
  s = s.replace(/[^\x20-\x7e]/g, "");
  if (s.length > 120) s = s.slice(0, 120);
  return s.replace(/ {2,}/g, " ").trim();
}
