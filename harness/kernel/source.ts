/**
 * Where a kernel tree comes from, and its identity (part of the cache key):
 *
 * - Debian's linux-source-6.12 package (neither --source nor --git): identity
 *   "debian:linux-source-6.12=<package version>"; the tarball is unpacked once into
 *   <cache>/kernels/sources/ (temp folder + rename, so a half-unpacked tree is never used).
 * - --git DIR --rev REV: identity "git-tree:<tree hash of REV>"; exported with a private
 *   index (read-tree + checkout-index), which leaves the user's work tree and index alone.
 * - --source DIR: a git work tree whose HEAD matches its files (`git status` clean) has
 *   identity "git-tree:<HEAD^{tree}>" (the same as --git of that commit); a dirty git tree
 *   or any other directory "files:<sha256 of relative path, size and mtime of every file,
 *   .git excluded>". The tree is copied (cp --reflink=auto, .git left out).
 */
import { mkdir, readdir, realpath, rename, rm, stat } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { pidAlive, withLock } from "../common/lock.ts";
import { UserInputError } from "../common/errors.ts";
import type { EventSink } from "../common/index.ts";
import type { BuildLog } from "../common/build-log.ts";
import { sha256 } from "./cache-key.ts";
import { sourcesDir } from "./layout.ts";
import { kernelTimeout, KernelBuildError, kernelTool, query } from "./tools.ts";

export const DEBIAN_SOURCE_PACKAGE = "linux-source-6.12";
export const DEBIAN_TARBALL = `/usr/src/${DEBIAN_SOURCE_PACKAGE}.tar.xz`;

export interface KernelSource {
  kind: "debian" | "git" | "dir";
  /** Goes into the cache key. */
  identity: string;
  /** For people: where it came from. */
  description: string;
  /** Fill `dest` (an empty folder) with the tree. `hardlinks`: the copy shares files with a tree hangar owns. */
  export(dest: string, log: BuildLog, signal?: AbortSignal): Promise<{ hardlinks: boolean }>;
}

export type SourceSpec = { source?: string; git?: string; rev?: string };

/** A bad --source/--git/--rev, or a missing Debian source package: a usage error (exit 2). */
export class SourceError extends UserInputError {}

export async function resolveSource(spec: SourceSpec, o: { sink: EventSink; signal?: AbortSignal }): Promise<KernelSource> {
  if (spec.source && spec.git) throw new SourceError("give either --source DIR or --git DIR --rev REV, not both");
  if (spec.git) {
    if (!spec.rev) throw new SourceError("--git DIR needs --rev REV (a commit, tag or branch)");
    return gitSource(resolve(spec.git), spec.rev);
  }
  if (spec.rev) throw new SourceError("--rev needs --git DIR");
  if (spec.source) return dirSource(resolve(spec.source));
  return debianSource(o);
}

async function gitDirOf(dir: string): Promise<string> {
  const gitDir = (await query("git", ["-C", dir, "rev-parse", "--absolute-git-dir"]))?.trim();
  if (!gitDir) throw new SourceError(`${dir} is not a git repository (expected a kernel git tree for --git)`);
  return gitDir;
}

/** Export `rev` of the repository at `gitDir` into `dest` with a private index file. */
async function checkoutInto(gitDir: string, rev: string, dest: string, log: BuildLog, signal?: AbortSignal): Promise<void> {
  const env = { GIT_INDEX_FILE: join(dest, "..", `.git-index-${process.pid}`) };
  const base = ["--git-dir", gitDir, "--work-tree", dest];
  try {
    await kernelTool("git", [...base, "read-tree", rev], { timeoutMs: kernelTimeout("copy"), log, env, ...(signal ? { signal } : {}) });
    await kernelTool("git", [...base, "checkout-index", "--all", "--force"], { timeoutMs: kernelTimeout("copy"), log, env, ...(signal ? { signal } : {}) });
  } finally {
    await rm(env.GIT_INDEX_FILE, { force: true });
  }
}

async function gitSource(dir: string, rev: string): Promise<KernelSource> {
  const gitDir = await gitDirOf(dir);
  const commit = (await query("git", ["-C", dir, "rev-parse", "--verify", "--quiet", `${rev}^{commit}`]))?.trim();
  if (!commit) throw new SourceError(`--rev ${rev}: no such commit in ${dir}`);
  const tree = (await query("git", ["-C", dir, "rev-parse", `${commit}^{tree}`]))!.trim();
  return {
    kind: "git",
    identity: `git-tree:${tree}`,
    description: `git ${dir} ${rev} (commit ${commit.slice(0, 12)}, tree ${tree.slice(0, 12)})`,
    async export(dest, log, signal) {
      await checkoutInto(gitDir, commit, dest, log, signal);
      return { hardlinks: false };
    },
  };
}

/** sha256 over "relative path, size, mtime" of every file below `root` (.git excluded), in sorted order. */
export async function statTreeHash(root: string): Promise<string> {
  const entries: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const items = await readdir(dir, { withFileTypes: true });
    for (const it of items) {
      if (it.name === ".git" && dir === root) continue;
      const p = join(dir, it.name);
      if (it.isDirectory()) await walk(p);
      else {
        const st = await stat(p).catch(() => undefined);
        entries.push(`${relative(root, p)}\0${st?.size ?? -1}\0${st ? Math.floor(st.mtimeMs) : -1}`);
      }
    }
  };
  await walk(root);
  entries.sort();
  return sha256(entries.join("\n"));
}

async function dirSource(given: string): Promise<KernelSource> {
  const st = await stat(given).catch(() => undefined);
  if (!st?.isDirectory()) throw new SourceError(`--source ${given}: not a directory (expected an unpacked kernel tree)`);
  const dir = await realpath(given);
  if (!(await stat(join(dir, "Kconfig")).catch(() => undefined))) throw new SourceError(`--source ${dir}: no Kconfig at its top; is it a kernel tree?`);
  let identity: string;
  let how: string;
  const top = (await query("git", ["-C", dir, "rev-parse", "--show-toplevel"]))?.trim();
  const clean = top === dir && (await query("git", ["-C", dir, "status", "--porcelain", "--untracked-files=normal"])) === "";
  if (clean) {
    identity = `git-tree:${(await query("git", ["-C", dir, "rev-parse", "HEAD^{tree}"]))!.trim()}`;
    how = `clean git tree ${identity.slice("git-tree:".length, "git-tree:".length + 12)}`;
  } else {
    identity = `files:${await statTreeHash(dir)}`;
    how = `files hash ${identity.slice(6, 18)}`;
  }
  return {
    kind: "dir",
    identity,
    description: `source ${dir} (${how})`,
    async export(dest, log, signal) {
      const items = (await readdir(dir)).filter((n) => n !== ".git").map((n) => join(dir, n));
      await kernelTool("cp", ["-a", "--reflink=auto", "--", ...items, dest], { timeoutMs: kernelTimeout("copy"), log, ...(signal ? { signal } : {}) });
      return { hardlinks: false };
    },
  };
}

/** Version of the installed linux-source package, or undefined when it is not installed. */
export async function debianSourceVersion(): Promise<string | undefined> {
  const v = (await query("dpkg-query", ["-W", "-f", "${Status} ${Version}", DEBIAN_SOURCE_PACKAGE]))?.trim();
  const m = /^install ok installed (\S+)$/.exec(v ?? "");
  return m?.[1];
}

/** The folder name of an unpacked Debian tree: package and version, with path-unsafe characters replaced. */
export function debianTreeName(version: string): string {
  return `${DEBIAN_SOURCE_PACKAGE}_${version.replace(/[^A-Za-z0-9._+-]/g, "_")}`;
}

async function debianSource(o: { sink: EventSink; signal?: AbortSignal }): Promise<KernelSource> {
  const version = await debianSourceVersion();
  if (!version || !(await stat(DEBIAN_TARBALL).catch(() => undefined))) {
    throw new SourceError(`${DEBIAN_SOURCE_PACKAGE} is not installed (${DEBIAN_TARBALL} missing): apt-get install ${DEBIAN_SOURCE_PACKAGE}, or give --source DIR`);
  }
  const tree = join(sourcesDir(), debianTreeName(version));
  return {
    kind: "debian",
    identity: `debian:${DEBIAN_SOURCE_PACKAGE}=${version}`,
    description: `Debian ${DEBIAN_SOURCE_PACKAGE} ${version}`,
    async export(dest, log, signal) {
      await ensureUnpacked(tree, log, o.sink, signal);
      // A tree hangar owns and never edits: hard links make the copy nearly free.
      await kernelTool("cp", ["-al", "--", `${tree}/.`, dest], { timeoutMs: kernelTimeout("copy"), log, ...(signal ? { signal } : {}) });
      return { hardlinks: true };
    },
  };
}

/** Unpack the Debian tarball into `tree` once: into a temp folder, renamed into place when complete. */
async function ensureUnpacked(tree: string, log: BuildLog, sink: EventSink, signal?: AbortSignal): Promise<void> {
  if (await stat(join(tree, "Makefile")).catch(() => undefined)) return;
  const parent = sourcesDir();
  await mkdir(parent, { recursive: true });
  await withLock(`${tree}.lock`, { deadlineMs: kernelTimeout("unpack"), sink, step: "kernel.source", what: "unpack", ...(signal ? { signal } : {}) }, async () => {
    if (await stat(join(tree, "Makefile")).catch(() => undefined)) return;
    // Temp folders of unpacks whose process died.
    for (const n of await readdir(parent)) {
      const m = /^\.unpack-(\d+)-[0-9a-f]+$/.exec(n);
      if (m && !pidAlive(Number(m[1]))) await rm(join(parent, n), { recursive: true, force: true });
    }
    const tmp = join(parent, `.unpack-${process.pid}-${randomBytes(3).toString("hex")}`);
    await mkdir(tmp);
    try {
      sink.emit({ type: "progress", step: "kernel.source", message: `unpacking ${DEBIAN_TARBALL}` });
      await kernelTool("tar", ["-xf", DEBIAN_TARBALL, "-C", tmp], { timeoutMs: kernelTimeout("unpack"), log, ...(signal ? { signal } : {}) });
      const top = await readdir(tmp);
      if (top.length !== 1) throw new KernelBuildError(`${DEBIAN_TARBALL}: expected one top folder, found ${top.join(", ")}`, log.path);
      await rename(join(tmp, top[0]!), tree);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
}
