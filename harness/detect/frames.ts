/** Stack-frame lines: recognising them and normalizing function names. */

/** `[<ffffffff8100>] ` program-counter token (x86 old style, arm). */
const PC = String.raw`\[<?(?:0x)?[0-9a-f]+>?\]`;
/** A frame line: optional PCs, then a function name followed by `.` or `+` (so `foo.isra.3+0x1` → `foo`). */
export const FRAME_RE = new RegExp(String.raw`^ *(?:${PC} ){0,2}([a-zA-Z0-9_]+)(?:\.|\+)`);
/** ARM: `[<c01>] (foo) from [<c02>] (bar+0x1c/0x40)` — the caller is the second name. */
const ARM_FRAME_RE = new RegExp(String.raw`^ *${PC} \(([a-zA-Z0-9_.]+)\) from ${PC} \(([a-zA-Z0-9_]+)(?:\.|\+)`);

/** Lines starting a stack trace. `stack backtrace:` is deliberately not one (it precedes `Call Trace:`). */
export const STACK_START_RE =
  /Call (?:T|t)race|Allocated:|Allocated by task [0-9]+:|Freed:|Freed by task [0-9]+:|[^k] backtrace(?: \(crc [0-9a-f]+\))?:|^Backtrace:|Uninit was stored to memory at/;

/**
 * STACK_START_RE behind a cheap substring prefilter (it runs on every report line).
 * `mayHaveCall`: false when the caller knows that the line has no "Call " (see PROBE_RE in headers.ts).
 */
export function isStackStart(text: string, mayHaveCall = true): boolean {
  // every stack start ends with ':' ("Call Trace:", "Freed by task 12:"), except old one-line
  // "Call Trace: [<ffff>] foo" forms
  let e = text.length - 1;
  while (e > 0 && text.charCodeAt(e) === 32) e--;
  if (text.charCodeAt(e) !== 58 /* : */ && (!mayHaveCall || text.indexOf("Call ") < 0)) return false;
  return STACK_START_RE.test(text);
}

const QUESTIONABLE_RE = /^\s*(?:\[<?[0-9a-fx]+>?\]\s*)?\? /;

/** `? func+0x1/0x2` unreliable frames (x86) and ppc `(unreliable)`; `<EOI>` lines are kept. */
export function isQuestionableFrame(text: string): boolean {
  if (text.endsWith(" (unreliable)")) return true;
  // fast check: a '?' must be among the first characters
  const q = text.indexOf("? ");
  if (q < 0 || q > 40) return false;
  if (text.indexOf("<EOI>") >= 0) return false;
  return QUESTIONABLE_RE.test(text);
}

function allDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return s.length > 0;
}

let lastText = "";
let lastFrame: string | undefined;

/** FRAME_RE as a yes/no test, without a match array: the name must not be all digits. */
const FRAME_TEST_RE = new RegExp(String.raw`^ *(?:${PC} ){0,2}(?=[0-9]*[a-zA-Z_])[a-zA-Z0-9_]+[.+]`);
let lastTestText = "";
let lastTest = false;

/** frameOf(text) !== undefined, cheaper (the collector asks it of most lines of a report). */
export function isFrame(text: string): boolean {
  if (text === lastTestText) return lastTest;
  if (text === lastText) return lastFrame !== undefined;
  lastTestText = text;
  lastTest = FRAME_TEST_RE.test(text) || ARM_FRAME_RE.test(text);
  return lastTest;
}

/** The function named by a frame line, or undefined. */
export function frameOf(text: string): string | undefined {
  // the collector asks several times about the line it is looking at
  if (text === lastText) return lastFrame;
  const f = frameOfUncached(text);
  lastText = text;
  lastFrame = f;
  return f;
}

/**
 * A C++ (Itanium ABI) mangled name without its parameters, as syzkaller's demangler prints it:
 * `_Z8fakeNameiii` → `fakeName`, `_ZN2ns3fooEv` → `ns::foo`. Anything else is returned as is.
 */
export function demangle(name: string): string {
  if (!name.startsWith("_Z")) return name;
  let i = 2;
  const nested = name.charCodeAt(i) === 78; /* N */
  if (nested) i++;
  const parts: string[] = [];
  for (;;) {
    let len = 0;
    const start = i;
    while (i < name.length && name.charCodeAt(i) >= 48 && name.charCodeAt(i) <= 57) len = len * 10 + name.charCodeAt(i++) - 48;
    if (i === start || len === 0 || i + len > name.length) return name;
    parts.push(name.slice(i, i + len));
    i += len;
    if (!nested) break;
    if (name.charCodeAt(i) === 69 /* E */) break;
    if (i >= name.length) return name;
  }
  return parts.join("::");
}

function frameOfUncached(text: string): string | undefined {
  // cheap prefilter: frames contain `+0x` or `.` after the name, or an `(inline)`-free bare name with `[<`
  if (text.indexOf("+") < 0 && text.indexOf(".") < 0) return undefined;
  const m = FRAME_RE.exec(text);
  if (m) {
    const name = m[1]!;
    // `Code:`-like or register lines never reach here (they have ':' after the word, not '.'/'+')
    if (allDigits(name)) return undefined;
    return name.charCodeAt(0) === 95 && name.charCodeAt(1) === 90 ? demangle(name) : name;
  }
  const a = ARM_FRAME_RE.exec(text);
  return a ? a[2] : undefined;
}

/**
 * Normalize a function name as it may appear in a header (`check_flush_dependency.part.0+0x107/0x130`,
 * `foo [xfs]`, `foo.cold`): drop offsets, compiler suffixes and module tags.
 */
export function normalizeFrame(s: string): string {
  let f = s.trim();
  const sp = f.indexOf(" ");
  if (sp >= 0) f = f.slice(0, sp);
  const plus = f.indexOf("+");
  if (plus >= 0) f = f.slice(0, plus);
  const dot = f.indexOf(".");
  if (dot > 0) f = f.slice(0, dot);
  return f;
}
