/**
 * A tiny tmpfs of its own for a test: a real full disk (ENOSPC) or a real read-only folder
 * (EROFS), which root's permissions cannot get around. Needs root (mount); cleaned up by `done`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";

export const isRoot = typeof process.getuid === "function" && process.getuid() === 0;

export interface Tmpfs {
  dir: string;
  readOnly(): Promise<void>;
  done(): Promise<void>;
}

/** `options`: tmpfs mount options, e.g. "size=64k" or "nr_inodes=3". */
export async function tmpfs(options: string): Promise<Tmpfs> {
  const dir = await mkdtemp(join(tmpdir(), "hangar-tmpfs-"));
  await execa("mount", ["-t", "tmpfs", "-o", `${options},mode=0755`, "tmpfs", dir], { timeout: 10_000 });
  return {
    dir,
    async readOnly() {
      await execa("mount", ["-o", "remount,ro", dir], { timeout: 10_000 });
    },
    async done() {
      await execa("umount", [dir], { timeout: 10_000, reject: false });
      await rm(dir, { recursive: true, force: true });
    },
  };
}
