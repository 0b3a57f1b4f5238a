/**
 * An attempt's files travel back to the coordinator gzip-compressed, each at most `capBytes`
 * before compression: a log bigger than that (a console flood) keeps its head (the boot) and
 * its tail (the end of the attempt, where the reports and the SysRq dumps are), with a line
 * saying how much was cut. Only the known per-attempt files travel (results/layout FILES).
 */
import { open, readdir, writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { gunzip, gzip } from "node:zlib";
import { FILES } from "../results/index.ts";
import type { PackedFile } from "./job.ts";

const gz = promisify(gzip);
const gunz = promisify(gunzip);

/** The files of an attempt folder that go back to the coordinator. */
export const ATTEMPT_FILES: readonly string[] = [FILES.console, FILES.dmesg, FILES.reports, FILES.verdict, FILES.storage, FILES.pressure, FILES.qemuLog, FILES.qemuCmdline];

/** Default cap per file (before compression). */
export const DEFAULT_LOG_CAP = 16 * 1024 * 1024;

export function cutMarker(cut: number): string {
  return `\n[hangar farm: ${cut} bytes of this log were cut here to keep it under the transfer cap; its head and tail are kept]\n`;
}

/** Read a file, or its head and tail when bigger than `cap` (memory stays within `cap`). */
export async function readCapped(path: string, cap: number): Promise<{ data: Buffer; bytes: number; cutBytes: number }> {
  const fh = await open(path, "r");
  try {
    const bytes = (await fh.stat()).size;
    if (bytes <= cap) {
      const data = Buffer.alloc(bytes);
      const { bytesRead } = await fh.read(data, 0, bytes, 0);
      return { data: data.subarray(0, bytesRead), bytes, cutBytes: 0 };
    }
    const headLen = Math.min(64 * 1024, Math.floor(cap / 8));
    const tailLen = cap - headLen;
    const head = Buffer.alloc(headLen);
    await fh.read(head, 0, headLen, 0);
    const tail = Buffer.alloc(tailLen);
    await fh.read(tail, 0, tailLen, bytes - tailLen);
    // Start the tail at a line boundary, so no line is half there.
    const nl = tail.indexOf(0x0a);
    const tailFrom = nl >= 0 && nl < tailLen - 1 ? nl + 1 : 0;
    const kept = tail.subarray(tailFrom);
    const cutBytes = bytes - headLen - kept.length;
    return { data: Buffer.concat([head, Buffer.from(cutMarker(cutBytes)), kept]), bytes, cutBytes };
  } finally {
    await fh.close();
  }
}

/** Pack the attempt's known files (those that exist). */
export async function packAttemptFiles(dir: string, capBytes: number): Promise<PackedFile[]> {
  const present = new Set(await readdir(dir).catch(() => [] as string[]));
  const out: PackedFile[] = [];
  for (const name of ATTEMPT_FILES) {
    if (!present.has(name)) continue;
    const { data, bytes, cutBytes } = await readCapped(join(dir, name), capBytes);
    out.push({ name, gz: (await gz(data)).toString("base64"), bytes, cutBytes });
  }
  return out;
}

/**
 * Write packed files into an attempt folder. Only the known file names are written, and none
 * inflates beyond the cap (plus the cut marker): a worker cannot fill the coordinator's disk.
 */
export async function unpackAttemptFiles(files: readonly PackedFile[], dir: string, capBytes: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const f of files) {
    if (!ATTEMPT_FILES.includes(f.name)) continue;
    await writeFile(join(dir, f.name), await gunz(Buffer.from(f.gz, "base64"), { maxOutputLength: capBytes + 4096 }));
  }
}
