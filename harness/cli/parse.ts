/**
 * `hangar parse FILE... [--json]`: find kernel reports in console or dmesg logs.
 * The only I/O around detect/: reading the files and printing.
 */
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { parseReports, stripSyzkallerHeader, syzkallerHeaderLines, type Report } from "../detect/index.ts";

export interface ParseOptions {
  json?: boolean;
  /** include each report's raw text in the JSON output */
  text?: boolean;
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

/** Parse files; returns the exit code (0 whether or not reports are found, 2 if a file could not be read). */
export async function runParse(files: string[], opts: ParseOptions, io: ParseIO): Promise<number> {
  const results: FileResult[] = [];
  let code = 0;
  for (const file of files) {
    let raw: string;
    try {
      raw = await readFile(file, "utf8");
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      io.err(`hangar parse: cannot read ${file}: ${msg}\n`);
      results.push({ file, error: msg, reports: [] });
      code = 2;
      continue;
    }
    const offset = syzkallerHeaderLines(raw);
    const reports = parseReports(offset ? stripSyzkallerHeader(raw) : raw).map((r) =>
      offset ? { ...r, startLine: r.startLine + offset, endLine: r.endLine + offset } : r,
    );
    results.push({ file, reports });
  }
  if (opts.json) io.out(JSON.stringify(results.map((r) => toJson(r, opts)), null, 2) + "\n");
  else for (const r of results) if (!r.error) io.out(humanBlock(r));
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
    .addHelpText(
      "after",
      "\nExit status: 0 whether or not reports are found; 2 if a file cannot be read.\n" +
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
