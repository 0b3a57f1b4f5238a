/**
 * `hangar parse FILE... [--json]`: find kernel reports in console or dmesg logs.
 * The only I/O around detect/: reading the files (streamed, so a log of any size fits in memory;
 * a FIFO or a file that stops sending data times out) and printing.
 */
import { close, constants, createReadStream, open, openSync, closeSync } from "node:fs";
import { stat } from "node:fs/promises";
import { Socket } from "node:net";
import type { Command } from "commander";
import { createLogParser, parseSyzkallerHeader, type LogParser, type Report } from "../detect/index.ts";
import { UserInputError } from "../common/errors.ts";

export interface ParseOptions {
  json?: boolean;
  /** include each report's raw text in the JSON output */
  text?: boolean;
  /** give up on a file that sends no data for this many seconds (a FIFO nobody writes to); default 30 */
  timeout?: number;
}

export interface ParseIO {
  out: (s: string) => void;
  err: (s: string) => void;
}

export interface FileResult {
  file: string;
  error?: string;
  reports: Report[];
}

export const DEFAULT_IDLE_TIMEOUT_S = 30;
/**
 * Bytes read at a time. Small enough that a chunk's string (two bytes a character when it holds a
 * wide one) stays under V8's large-object size (128 KB): each larger string gets pages of its own,
 * fresh from the kernel. With 256 KB reads, decoding a report-dense log took about a sixth of the
 * CPU of parsing it, half of that system time; with 32 KB reads, a fifth as much (bench/parse.ts, by
 * CPU time: callgrind counts no kernel work and did not show it).
 */
export const CHUNK_BYTES = 32 * 1024;

/** A file could not be read to its end: the reports found before are still printed. */
export class ParseInputError extends UserInputError {}

/**
 * Chunks in: skips a syzkaller test header (`TITLE:` … up to the first blank line) at the start of
 * the file, and numbers the log's lines as the file's (the header lines count).
 */
function headerSkipping(parser: LogParser): { write(chunk: string): void; end(): ReturnType<LogParser["end"]>; offset(): number } {
  let head: string | undefined = "";
  let offset = 0;
  const HEAD_MAX = 64 * 1024;
  function flushHead(final: boolean): void {
    const h = head!;
    const blank = h.search(/\r?\n\r?\n/);
    if (blank < 0 && !final && h.length < HEAD_MAX) return;
    head = undefined;
    if (blank >= 0 && parseSyzkallerHeader(h)) {
      const end = h.indexOf("\n", blank + 1) + 1;
      for (let i = 0; i < end; i++) if (h.charCodeAt(i) === 10) offset++;
      parser.write(h.slice(end));
    } else parser.write(h);
  }
  return {
    write(chunk) {
      if (head === undefined) return parser.write(chunk);
      head += chunk;
      flushHead(false);
    },
    end() {
      if (head !== undefined) flushHead(true);
      return parser.end();
    },
    offset: () => offset,
  };
}

/** fs.open as a promise (a raw descriptor, which a net.Socket can own). */
function openFd(path: string, flags: number): Promise<number> {
  return new Promise((resolve, reject) => open(path, flags, (err, fd) => (err ? reject(err) : resolve(fd))));
}

/**
 * Open a FIFO for reading, waiting at most `ms` for a writer. A blocked open cannot be cancelled: on
 * timeout it is released by opening the FIFO for writing ourselves (which completes it) and closing
 * both ends.
 */
async function openFifo(path: string, ms: number): Promise<number> {
  const pending = openFd(path, constants.O_RDONLY);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), ms)));
  try {
    const first = await Promise.race([pending, timedOut]);
    if (first !== "timeout") return first;
  } finally {
    clearTimeout(timer);
  }
  try {
    closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
  } catch {
    // the reader's open finished meanwhile
  }
  const fd = await pending.catch(() => -1);
  if (fd >= 0) close(fd, () => {});
  throw new ParseInputError(`no process opened the FIFO for writing within ${ms / 1000} s (--timeout)`);
}

/**
 * Stream `file` into `sink` in chunks. Rejects when no data comes for `idleMs` (the reports found so
 * far stay in the parser).
 */
async function streamFile(file: string, idleMs: number, sink: (chunk: string) => void): Promise<void> {
  const st = await stat(file);
  if (st.isDirectory()) throw new ParseInputError("is a directory, not a log");
  let source: NodeJS.ReadableStream & { destroy(): void };
  if (st.isFIFO()) {
    const fd = await openFifo(file, idleMs);
    // libuv reads a pipe without blocking a thread, so that the idle timeout can stop it
    source = new Socket({ fd, readable: true, writable: false });
  } else {
    source = createReadStream(file, { highWaterMark: CHUNK_BYTES });
  }
  source.setEncoding("utf8");
  await new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        source.destroy();
        reject(new ParseInputError(`no data for ${idleMs / 1000} s (--timeout); the reports found before that are printed`));
      }, idleMs);
    };
    arm();
    source.on("data", (chunk: string) => {
      arm();
      try {
        sink(chunk);
      } catch (e) {
        clearTimeout(timer);
        source.destroy();
        reject(e);
      }
    });
    source.on("end", () => {
      clearTimeout(timer);
      resolve();
    });
    source.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** Parse one file, streamed; the reports found before an error are returned with it. */
export async function parseFile(file: string, idleMs: number): Promise<FileResult> {
  const parser = headerSkipping(createLogParser());
  let error: string | undefined;
  try {
    await streamFile(file, idleMs, (chunk) => parser.write(chunk));
  } catch (e) {
    // ENOENT, EACCES… name the file and the reason; ours say what timed out
    error = e instanceof Error ? e.message : String(e);
  }
  const offset = parser.offset();
  const reports = parser.end().reports.map((r) => (offset ? { ...r, startLine: r.startLine + offset, endLine: r.endLine + offset } : r));
  return error === undefined ? { file, reports } : { file, error, reports };
}

/**
 * Parse files; returns the exit code: 0 whether or not reports are found, 2 if a file could not be
 * read to its end (missing, unreadable, a FIFO or file that sent no data within the timeout).
 */
export async function runParse(files: string[], opts: ParseOptions, io: ParseIO): Promise<number> {
  const timeoutS = opts.timeout ?? DEFAULT_IDLE_TIMEOUT_S;
  if (!Number.isFinite(timeoutS) || timeoutS <= 0 || timeoutS > 86_400) {
    throw new UserInputError(`hangar parse: --timeout must be a number of seconds between 0 and 86400, got ${String(opts.timeout)}`);
  }
  const results: FileResult[] = [];
  let code = 0;
  for (const file of files) {
    const res = await parseFile(file, timeoutS * 1000);
    if (res.error !== undefined) {
      io.err(`hangar parse: cannot read ${file}: ${res.error}\n`);
      code = 2;
    }
    results.push(res);
  }
  if (opts.json) io.out(JSON.stringify(results.map((r) => toJson(r, opts)), null, 2) + "\n");
  else for (const r of results) if (!r.error || r.reports.length) io.out(humanBlock(r));
  return code;
}

function toJson(r: FileResult, opts: ParseOptions): unknown {
  const reports = r.reports.map((rep) => {
    const { text, ...rest } = rep;
    return opts.text ? { ...rest, text } : rest;
  });
  return r.error ? { file: r.file, error: r.error, reports } : { file: r.file, reports };
}

function span(r: Report): string {
  const lines = r.startLine === r.endLine ? `line ${r.startLine}` : `lines ${r.startLine}-${r.endLine}`;
  if (r.firstTimestamp === undefined) return lines;
  const t = r.firstTimestamp === r.lastTimestamp || r.lastTimestamp === undefined
    ? `${r.firstTimestamp}s`
    : `${r.firstTimestamp}s-${r.lastTimestamp}s`;
  return `${lines}, ${t}`;
}

export function humanBlock(res: FileResult): string {
  const n = res.reports.length;
  const out: string[] = [`${res.file}: ${n === 0 ? "no reports" : n === 1 ? "1 report" : `${n} reports`}`];
  res.reports.forEach((r, i) => {
    out.push(`  [${i + 1}] ${r.kind}: ${r.title}${r.count > 1 ? `  (x${r.count})` : ""}`);
    out.push(`      signature: ${r.signature}`);
    if (r.corrupted) out.push(`      corrupted: ${r.corruptedReason ?? "yes"}`);
    out.push(`      where:     ${span(r)}`);
    if (r.task) out.push(`      task:      ${r.task.comm}:${r.task.pid}${r.task.state ? ` state ${r.task.state}` : ""}`);
    if (r.lockdep) {
      const l = r.lockdep;
      if (l.chain.length) out.push(`      cycle:     ${[...l.chain, l.chain[0]].join(" -> ")}`);
      else if (l.lockClasses.length) out.push(`      locks:     ${l.lockClasses.join(", ")}`);
    }
    const fd = r.warning?.flushDependency;
    if (fd) out.push(`      flush:     ${fd.flushingWq}:${fd.flushingWork} is flushing ${fd.flushedWq}:${fd.flushedWork}`);
    else if (r.warning?.file) out.push(`      at:        ${r.warning.file}:${r.warning.line}${r.warning.message ? `  ${r.warning.message}` : ""}`);
    // for a lockdep cycle the title stack is the dependency chain: the cycle line says more
    const key = r.lockdep?.chain.length ? (r.guiltyFrame ? [r.guiltyFrame] : []) : r.keyFrames?.length ? r.keyFrames : r.frames;
    if (key.length) out.push(`      frames:    ${key.slice(0, 6).join(" < ")}${key.length > 6 ? " < ..." : ""}`);
  });
  return out.join("\n") + "\n\n";
}

export function registerParse(program: Command): void {
  program
    .command("parse")
    .description("find kernel reports (hung tasks, lockdep, WARNINGs, oopses, stalls, OOM…) in console or dmesg logs")
    .argument("<file...>", "console or dmesg logs (a syzkaller test header, TITLE: … up to the first blank line, is skipped)")
    .option("--json", "print one JSON array on stdout: [{file, reports: [...]}] per file")
    .option("--text", "with --json, include each report's raw lines")
    .option("--timeout <seconds>", `give up on a file that sends no data for this long (a FIFO nobody writes to)`, (v) => Number(v), DEFAULT_IDLE_TIMEOUT_S)
    .addHelpText(
      "after",
      "\nFiles are read as streams (any size; CR, LF and CRLF line ends); a FIFO works too.\n" +
        "Exit status: 0 whether or not reports are found; 2 if a file cannot be read to its end.\n" +
        "Signatures are stable across runs and builds; use them in a scenario's `expect:` section.",
    )
    .action(async (files: string[], opts: ParseOptions) => {
      const code = await runParse(files, opts, {
        out: (s) => process.stdout.write(s),
        err: (s) => process.stderr.write(s),
      });
      if (code !== 0) process.exitCode = code;
    });
}
