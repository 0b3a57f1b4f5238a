/**
 * --patch FILE: applied in order with `patch -p1 --forward` to the build's own copy of the
 * tree (a dry run first, so a patch that does not apply changes nothing and is named in the
 * error). Files a patch touches are first replaced by private copies, so a hard-linked copy
 * never writes through to the shared tree.
 */
import { copyFile, readFile, rename, stat } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import type { BuildLog } from "../common/build-log.ts";
import { UserInputError } from "../common/errors.ts";
import { sha256 } from "./cache-key.ts";
import { kernelTimeout, KernelBuildError, kernelTool } from "./tools.ts";

/** A --patch file that cannot be read (a usage error, unlike a patch that does not apply). */
export class PatchFileError extends UserInputError {}

export interface PatchFile {
  path: string;
  sha256: string;
  text: string;
}

export async function readPatches(paths: readonly string[]): Promise<PatchFile[]> {
  return Promise.all(
    paths.map(async (p) => {
      const path = resolve(p);
      const buf = await readFile(path).catch((err: NodeJS.ErrnoException) => {
        throw new PatchFileError(`--patch ${p}: cannot read it (${err.code ?? err.message})`);
      });
      return { path, sha256: sha256(buf), text: buf.toString("utf8") };
    }),
  );
}

/** Paths (relative to the tree, -p1 stripped) that a unified diff creates, changes or deletes. */
export function patchedPaths(text: string): string[] {
  const out = new Set<string>();
  for (const line of text.split("\n")) {
    const m = /^(?:---|\+\+\+) (\S+)/.exec(line);
    if (!m || m[1] === "/dev/null") continue;
    const p = m[1]!.split("/").slice(1).join("/");
    if (p && !p.split("/").includes("..")) out.add(p);
  }
  return [...out].sort();
}

/** Replace each (hard-linked) file by a copy of itself, so that editing it touches only this tree. */
async function unshare(tree: string, paths: readonly string[]): Promise<void> {
  for (const rel of paths) {
    const p = join(tree, rel);
    const st = await stat(p).catch(() => undefined);
    if (!st?.isFile() || st.nlink < 2) continue;
    const tmp = `${p}.hangar-unshare`;
    await copyFile(p, tmp);
    await rename(tmp, p);
  }
}

export async function applyPatches(tree: string, patches: readonly PatchFile[], log: BuildLog, signal?: AbortSignal): Promise<void> {
  for (const pf of patches) {
    await unshare(tree, patchedPaths(pf.text));
    const args = ["-p1", "--forward", "--batch", "--no-backup-if-mismatch", "-d", tree, "-i", pf.path];
    try {
      await kernelTool("patch", ["--dry-run", ...args], { timeoutMs: kernelTimeout("patch"), log, tailLines: 15, ...(signal ? { signal } : {}) });
    } catch {
      throw new KernelBuildError(`patch ${pf.path} does not apply to this tree:\n${log.tail(15)}`, log.path);
    }
    await kernelTool("patch", args, { timeoutMs: kernelTimeout("patch"), log, ...(signal ? { signal } : {}) });
    log.line(`# applied ${basename(pf.path)} (sha256 ${pf.sha256.slice(0, 12)})`);
  }
}
