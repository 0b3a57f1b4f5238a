import { open, stat } from "node:fs/promises";
import { mergeReports, parseReportsWithin, type Report } from "../detect/index.ts";

/** Read a log for parsing, keeping at most the last `max` bytes of a flooded one. */
export async function readCapped(path: string, max = 256 << 20): Promise<string> {
  const st = await stat(path).catch(() => undefined);
  if (!st) return "";
  const fh = await open(path, "r");
  try {
    const len = Math.min(st.size, max);
    const buf = Buffer.alloc(len);
    await fh.read(buf, 0, len, st.size - len);
    return buf.toString("utf8");
  } finally {
    await fh.close();
  }
}

/**
 * The reports of one attempt: both logs parsed and merged (the same report in both counts
 * once), each within half of `budgetMs`. A log the budget did not cover is named in
 * `incomplete` (its reports as far as the parser got are kept).
 */
export async function parseAttemptLogs(consolePath: string, dmesgPath: string, budgetMs: number): Promise<{ reports: Report[]; incomplete: string[] }> {
  const parse = async (path: string) => ({ path, ...parseReportsWithin(await readCapped(path), { budgetMs: budgetMs / 2 }) });
  const logs = [await parse(consolePath), await parse(dmesgPath)];
  return {
    reports: mergeReports(logs[0]!.reports, logs[1]!.reports),
    incomplete: logs.filter((l) => !l.complete).map((l) => `${l.path} (parse time budget ran out after ${l.lines} lines)`),
  };
}
