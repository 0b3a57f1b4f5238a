/**
 * Splitting console text into lines, whatever its line ends and line lengths.
 *
 * Line ends: `\n`, `\r\n` (and `\r\r\n`, a serial console's doubled CR), and a `\r` that is not
 * followed by `\n` (a CR-only log, or userspace's progress output overwriting a line: the kernel line
 * printed after it is a line of its own). Line numbers count `\n` line ends, as editors and `sed -n`
 * do, so that a report's lines can be found in the file; the pieces of one `\n` line split at lone
 * CRs share its number. A log whose first line end is a lone CR (no `\n` before it) is a CR-only log:
 * there every line end counts.
 *
 * Lines are cut to MAX_LINE_CHARS (limits.ts); the rest of a longer line is skipped without being
 * held, so a 1 GB line costs no more memory than a short one.
 */
import { MAX_LINE_CHARS } from "./limits.ts";

/**
 * Receives each line (no line end, at most MAX_LINE_CHARS long) with its 1-based line number and,
 * when the line is the text as written between two '\n' (not cut, no CR), its offset in the whole
 * text written so far (-1 otherwise): the batch parser cuts a report's text out of the log by them.
 */
export type LineSink = (line: string, n: number, off: number) => void;

/** A copy of `s` that does not keep the (maybe huge) string it was cut from alive. */
export function detachedPrefix(s: string, start: number, end: number): string {
  const e = Math.min(end, start + MAX_LINE_CHARS);
  // slicing a fresh concatenation flattens it: the result does not point into `s`
  return e - start > 12 ? (" " + s.slice(start, e)).slice(1) : s.slice(start, e);
}

/**
 * Split one `\n`-free line at lone CRs (trailing CRs are dropped; empty pieces are dropped unless the
 * whole line is empty) and hand the pieces to `sink`.
 */
export function splitCRs(line: string, sink: (piece: string) => void): void {
  let pos = 0;
  let any = false;
  const len = line.length;
  while (pos < len) {
    let cr = line.indexOf("\r", pos);
    if (cr < 0) cr = len;
    if (cr > pos) {
      sink(pos === 0 && cr === len ? line : line.slice(pos, cr));
      any = true;
    }
    while (line.charCodeAt(cr) === 13) cr++;
    pos = cr;
  }
  if (!any) sink("");
}

export interface LineSplitter {
  /** more text; complete lines go to the sink */
  write(chunk: string): void;
  /** the text is over: the last line (without a line end) goes to the sink, if not empty */
  end(): void;
  /** hand out no more lines (the rest of the text is not even scanned) */
  stop(): void;
  /** lines handed out so far (the number of the last one) */
  readonly lines: number;
}

/** Text scanned without a '\n' (but with lone CRs) after which a log is taken to be CR-only. */
const CR_ONLY_AFTER = 64 * 1024;

/**
 * Chunks in, lines out. Memory: at most one partial line of MAX_LINE_CHARS characters is carried
 * between chunks (and, at the start of a log with lone CRs and no '\n' yet, up to CR_ONLY_AFTER
 * characters of pieces until it is known whether the log is CR-only). Linear in the input: each
 * chunk is scanned once for '\n' and once for '\r'.
 */
export function createLineSplitter(sink: LineSink): LineSplitter {
  /** the current line's first MAX_LINE_CHARS characters so far */
  let carry = "";
  /** CRs seen at the end of the text so far (a line end whose kind depends on what follows) */
  let pendingCRs = 0;
  /** pieces of the current '\n' line handed out already (LF mode) */
  let pieces = 0;
  let n = 0;
  /** undefined until the log shows its kind (its first '\n', or CR_ONLY_AFTER characters without) */
  let crOnly: boolean | undefined;
  /** while undecided: the pieces cut at lone CRs so far, with the number of CRs after each */
  let held: [string, number][] = [];
  let heldChars = 0;
  let scanned = 0;
  /** characters written before the current chunk */
  let base = 0;
  let stopped = false;

  function add(s: string): void {
    const room = MAX_LINE_CHARS - carry.length;
    if (room > 0) carry += s.length > room ? s.slice(0, room) : s;
  }

  function takeCarry(): string {
    const c = carry;
    carry = "";
    // a fresh flat copy: the line must not keep a large chunk alive
    return c.length > 12 ? (" " + c).slice(1) : c;
  }

  function decide(cr: boolean): void {
    crOnly = cr;
    const h = held;
    held = [];
    for (const [line, k] of h) {
      if (stopped) return;
      if (cr) {
        sink(line, ++n, -1);
        for (let i = 1; i < k; i++) sink("", ++n, -1);
      } else pieceEnds(line);
    }
  }

  /** LF mode: a piece of the current line ends at a lone CR. */
  function pieceEnds(line: string): void {
    if (line.length === 0) return;
    if (pieces === 0) n++;
    pieces++;
    sink(line, n, -1);
  }

  /** A line ends at a '\n' (LF and CR-only mode alike). `off`: see LineSink. */
  function lineEnds(line: string, off = -1): void {
    if (crOnly === undefined) decide(false);
    if (stopped) return;
    if (pieces === 0) {
      n++;
      sink(line, n, off);
    } else if (line.length > 0) sink(line, n, -1);
    pieces = 0;
  }

  /** A run of k CRs not followed by '\n' ends `line`. */
  function crsEnd(line: string, k: number): void {
    if (crOnly === undefined) {
      held.push([line, k]);
      heldChars += line.length + 1;
      if (heldChars > CR_ONLY_AFTER) decide(true);
      return;
    }
    if (crOnly) {
      sink(line, ++n, -1);
      for (let i = 1; i < k && !stopped; i++) sink("", ++n, -1);
    } else pieceEnds(line);
  }

  function write(chunk: string): void {
    if (stopped) return;
    const len = chunk.length;
    let pos = 0;
    if (pendingCRs > 0 && len > 0 && chunk.charCodeAt(0) !== 10) {
      crsEnd(takeCarry(), pendingCRs);
      pendingCRs = 0;
    }
    pendingCRs = 0;
    let nextNL = chunk.indexOf("\n");
    let nextCR = chunk.indexOf("\r");
    while (pos < len && !stopped) {
      if (nextNL >= 0 && nextNL < pos) nextNL = chunk.indexOf("\n", pos);
      if (nextCR >= 0 && nextCR < pos) nextCR = chunk.indexOf("\r", pos);
      const stop = nextCR >= 0 && (nextNL < 0 || nextCR < nextNL) ? nextCR : nextNL;
      if (stop < 0) {
        add(chunk.slice(pos, Math.min(len, pos + MAX_LINE_CHARS)));
        break;
      }
      if (chunk.charCodeAt(stop) === 10) {
        if (carry.length === 0) {
          // the common case: a whole line inside the chunk
          if (stop - pos > MAX_LINE_CHARS) lineEnds(detachedPrefix(chunk, pos, stop));
          else lineEnds(chunk.slice(pos, stop), base + pos);
        } else {
          add(chunk.slice(pos, Math.min(stop, pos + MAX_LINE_CHARS)));
          lineEnds(takeCarry());
        }
        pos = stop + 1;
        continue;
      }
      // a run of CRs: a line end of its own unless a '\n' follows
      let e = stop;
      while (e < len && chunk.charCodeAt(e) === 13) e++;
      if (e < len && chunk.charCodeAt(e) === 10 && carry.length === 0) {
        // "\r\n" (a serial console's line end): the line is whole inside the chunk
        lineEnds(stop - pos > MAX_LINE_CHARS ? detachedPrefix(chunk, pos, stop) : chunk.slice(pos, stop));
        pos = e + 1;
        continue;
      }
      add(chunk.slice(pos, Math.min(stop, pos + MAX_LINE_CHARS)));
      pos = e;
      if (e === len) {
        pendingCRs = e - stop; // what follows is in the next chunk
        break;
      }
      if (chunk.charCodeAt(e) !== 10) crsEnd(takeCarry(), e - stop);
    }
    scanned += len;
    base += len;
    if (crOnly === undefined && scanned > CR_ONLY_AFTER && held.length > 0) decide(true);
  }

  function end(): void {
    if (stopped) return;
    if (pendingCRs > 0) {
      // CRs at the very end of the log end its last line
      pendingCRs = 0;
      if (crOnly === undefined && held.length > 0) decide(true);
      if (carry.length > 0 || crOnly) lineEnds(takeCarry());
      return;
    }
    if (crOnly === undefined && held.length > 0) decide(true);
    if (carry.length > 0) lineEnds(takeCarry());
  }

  return {
    write,
    end,
    stop() {
      stopped = true;
    },
    get lines() {
      return n;
    },
  };
}

/** Every line of a whole text (see createLineSplitter), no line after a final line end. */
export function forEachLine(text: string, sink: LineSink): number {
  const s = createLineSplitter(sink);
  s.write(text);
  s.end();
  return s.lines;
}
