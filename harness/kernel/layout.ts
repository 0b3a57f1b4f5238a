/**
 * Where kernel builds live in the cache (`hangar kernel build`):
 *
 *   <cache>/kernels/<id>/           artifact: bzImage, config, build.log, meta.json (written last),
 *                                   modules/<name>.ko + modules/modules.json
 *   <cache>/kernels/build/<id>/src  the source tree of this build (hard-linked copy of the shared
 *                                   tree, an export of a git rev, or a copy of --source; patched)
 *   <cache>/kernels/build/<id>/obj  the O= build directory (kept: out-of-tree modules build against it)
 *   <cache>/kernels/sources/        Debian's linux-source tarball, unpacked once
 *   <cache>/kernels/ccache/         CCACHE_DIR
 *
 * Every build has its tree at ../src from its O= directory, so with CCACHE_BASEDIR=src the
 * compiler sees the same relative paths in every build: a patched copy or a fresh O= directory
 * of the same tree hits the ccache.
 */
import { join } from "node:path";
import { cacheDir } from "../common/index.ts";

export function kernelsDir(): string {
  return join(cacheDir(), "kernels");
}

export function artifactDir(id: string): string {
  return join(kernelsDir(), id);
}

export function buildRoot(id: string): { root: string; src: string; obj: string; extModules: string } {
  const root = join(kernelsDir(), "build", id);
  return { root, src: join(root, "src"), obj: join(root, "obj"), extModules: join(root, "ext-modules") };
}

export function sourcesDir(): string {
  return join(kernelsDir(), "sources");
}

export function ccacheDir(): string {
  return join(kernelsDir(), "ccache");
}

export function lockPath(id: string): string {
  return join(kernelsDir(), `.${id}.lock`);
}

/** Names of the files in an artifact folder. */
export const ARTIFACT_FILES = {
  kernel: "bzImage",
  config: "config",
  log: "build.log",
  meta: "meta.json",
  modulesDir: "modules",
  modulesIndex: "modules.json",
} as const;

/** A cache id: 12 lower-case hex digits. */
export const ID_PATTERN = /^[0-9a-f]{12}$/;
