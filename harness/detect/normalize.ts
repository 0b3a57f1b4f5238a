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

/** Matches where some rule does (every rule is plain /g): a title it does not match no rule changes. */
const ANY_RULE_RE = new RegExp(RULES.map(([re]) => `(?:${re.source})`).join("|"));

/**
 * Normalize a title: the rules applied until nothing changes, on the first MAX_RAW_TITLE_CHARS
 * characters (the title keeps 120). No memo: titles cost a few regex passes each, and a log of
 * distinct reports has distinct titles.
 */
export function normalizeTitle(whole: string): string {
  let t = whole.length > MAX_RAW_TITLE_CHARS ? whole.slice(0, MAX_RAW_TITLE_CHARS) : whole;
  if (ANY_RULE_RE.test(t)) {
    for (let i = 0; i < 10; i++) {
      let next = t;
      for (const [re, rep] of RULES) next = next.replace(re, rep);
      if (next === t) break;
      t = next;
    }
  }
  return sanitizeTitle(t);
}

const TAB_RE = /\t/g;
const UNPRINTABLE_RE = /[^\x20-\x7e]/g;
const SPACES_RE = / {2,}/g;

/** Titles are cut to this many bytes (UTF-8) before anything is dropped (syzkaller's maxTitleLen). */
const MAX_TITLE_BYTES = 120;

/**
 * syzkaller's order (notes §6): cut to 120 bytes, then tab → space, drop bytes < 0x20 or >= 0x7f,
 * collapse runs of spaces, trim. Dropping after the cut: a title with control or non-ASCII bytes
 * comes out shorter than 120.
 */
export function sanitizeTitle(t: string): string {
  // A UTF-16 unit is at most 3 bytes: a shorter title cannot be over the limit. A character cut in
  // two decodes as U+FFFD, which is dropped below with the other non-ASCII characters.
  let s = t.length > MAX_TITLE_BYTES / 3 ? Buffer.from(t, "utf8").subarray(0, MAX_TITLE_BYTES).toString("utf8") : t;
  s = s.replace(TAB_RE, " ");
  // drop control and non-ASCII bytes
  s = s.replace(UNPRINTABLE_RE, "");
  return s.replace(SPACES_RE, " ").trim();
}
