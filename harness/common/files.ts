/**
 * Atomic writes on `write-file-atomic` (temp file in the same folder, fsync, rename; the temp
 * file is removed when anything fails) plus an fsync of the folder, so the rename itself
 * survives a crash. A reader sees the old file or the new one, never half of either.
 */
import { mkdir, open, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import writeFileAtomicPkg from "write-file-atomic";
import { EXIT, HangarError } from "./errors.ts";

/** A file hangar could not write (full disk, read-only folder…): infrastructure, exit 3, naming the path. */
export class FileWriteError extends HangarError {
  readonly code: string | undefined;
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    const e = cause as NodeJS.ErrnoException;
    super(`cannot write ${path}: ${e?.code ? `${e.code} (${e.message.replace(/^[A-Z]+: /, "")})` : String(e?.message ?? cause)}`, EXIT.infra, { cause });
    this.code = e?.code;
  }
}

export interface AtomicWriteOptions {
  /** File mode (default: 0666 less the umask, like any new file). */
  mode?: number;
}

/** fsync a folder, so that a rename into it is on disk. */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Write a file atomically: a sibling temp file, fsync, rename over the target, fsync the folder.
 *
 * write-file-atomic 7 writes its data with one fs.write and ignores a short count: on a full
 * disk it renames a truncated file over the good one. So the data goes into its temp file here,
 * in `tmpfileCreated`, with fs.writeFile (which loops and throws ENOSPC); the package then
 * fsyncs, renames, and removes the temp file when anything failed.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, o: AtomicWriteOptions = {}): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomicPkg(path, "", {
      fsync: true,
      ...(o.mode !== undefined ? { mode: o.mode } : {}),
      tmpfileCreated: async (tmp: string) => {
        await writeFile(tmp, data);
      },
    });
    await syncDir(dirname(path));
  } catch (err) {
    throw new FileWriteError(path, err);
  }
}

export async function writeJsonAtomic(path: string, value: unknown, o: AtomicWriteOptions = {}): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n", o);
}
