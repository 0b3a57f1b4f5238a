/**
 * Kernel text out of a mailing-list message: quote levels stripped, and the line breaks of a
 * trace recovered when the archive joined the whole message into one line (as in
 * ../shared/reports, where `> > ` marks are all that is left of the quoted lines).
 */

/** A line longer than this is treated as joined text whose breaks were lost. */
const JOINED = 240;

/** Where a kernel log line starts inside joined text. */
const LINE_STARTS = [
  String.raw`\[ *\d+\.\d+\]`, // printk timestamp
  String.raw`(?:WARNING|BUG|INFO|Oops|RIP|Code|Call [Tt]race|Modules linked in|Hardware name|Workqueue|CPU: \d+ PID|Kernel panic|pstate|Showing all locks held|Chain exists of|other info that might help us debug this|stack backtrace|Possible unsafe locking scenario|the existing dependency chain)\b:?`,
  String.raw`workqueue: WQ_MEM_RECLAIM`,
  String.raw`(?:pc|lr|sp) : `,
  String.raw`x\d{1,2}\s*: [0-9a-f]{16}`,
  String.raw`R[A-Z0-9]{2}: [0-9a-f]{16}`,
  String.raw`"?task:\S+ +state:`,
  String.raw`-> #\d+ `,
  String.raw`#\d+: \S+ \(`,
  String.raw`(?:\? )?[A-Za-z_][\w.]*\+0x[0-9a-f]+/0x[0-9a-f]+`, // a stack frame
  String.raw`<(?:TASK|/TASK|IRQ|/IRQ)>`,
];
const LOG_LINE = new RegExp(String.raw`^\s*(?:${LINE_STARTS.join("|")})`);
const SPLIT_BEFORE = new RegExp(String.raw`\s+(?=(?:${LINE_STARTS.join("|")}))`, "g");

/** A mail quote mark inside joined text: " > ", " > > ", … between two words. */
const INLINE_QUOTE = /\s+(?:>[ \t]?)+(?=\S)/g;
/** Quote marks at the start of a line. */
const LEADING_QUOTE = /^(?:[ \t]*>)+[ \t]?/;

/** Does this text look like it carries a kernel trace? */
function traceLike(s: string): boolean {
  return /\+0x[0-9a-f]+\/0x[0-9a-f]+|Call [Tt]race|WARNING: |INFO: task |BUG: |possible circular locking/.test(s);
}

/** How many quote levels a mark such as "> > " stands for. */
const depthOf = (mark: string) => (mark.match(/>/g) ?? []).length;

export function recoverLogText(text: string): string {
  const out: string[] = [];
  let depth = 0;
  for (const raw of text.split(/\r?\n/)) {
    // A joined message: its quote marks were line starts. Each piece keeps its quote depth.
    const pieces: { text: string; depth: number }[] = [];
    const joined = raw.length > JOINED && traceLike(raw);
    if (joined) {
      let last = 0;
      let d = depthOf(raw.match(LEADING_QUOTE)?.[0] ?? "");
      for (const m of raw.matchAll(INLINE_QUOTE)) {
        pieces.push({ text: raw.slice(last, m.index), depth: d });
        d = depthOf(m[0]);
        last = m.index + m[0].length;
      }
      pieces.push({ text: raw.slice(last), depth: d });
    } else pieces.push({ text: raw, depth: depthOf(raw.match(LEADING_QUOTE)?.[0] ?? "") });
    for (const piece of pieces) {
      // A change of quote level ends what was quoted: a trace never runs on into the reply.
      if (piece.depth !== depth && out.length && out[out.length - 1] !== "") out.push("");
      depth = piece.depth;
      const p = piece.text.replace(LEADING_QUOTE, "");
      // Still a long line with a trace in it: break before every log-line start.
      const split = p.length > JOINED && traceLike(p);
      for (const line of split ? p.split(SPLIT_BEFORE) : [p]) {
        // In a message (quoted or joined text), prose right after a log line is the reply, not
        // more of the trace: end the trace there. A plain console log is left as it is.
        const prev = out[out.length - 1];
        const inMessage = joined || split || piece.depth > 0;
        if (inMessage && prev && LOG_LINE.test(prev) && !LOG_LINE.test(line) && line.trim().split(/\s+/).length >= 4) out.push("");
        out.push(line);
      }
    }
  }
  return out.join("\n");
}
