/** meta.json of a built kernel, and reading the cache. meta.json is written last: no meta, no kernel. */
import { readFile, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { ARTIFACT_FILES, ID_PATTERN, artifactDir, kernelsDir } from "./layout.ts";

export interface KernelMeta {
  format: 1;
  id: string;
  /** `make kernelrelease`, e.g. 6.12.117-hangar. */
  version: string;
  source: { kind: "debian" | "git" | "dir"; identity: string; description: string };
  fragments: string[];
  patches: { file: string; sha256: string }[];
  /** sha256 of the merged fragment options. */
  configSha256: string;
  created: string;
  /** Wall-clock seconds of the whole build (source to artifact). */
  buildSeconds: number;
  /** Seconds of `make bzImage modules` alone. */
  makeSeconds: number;
  /** The O= directory (kept for out-of-tree modules) and its source tree. */
  buildDir: string;
  srcDir: string;
  modulesEnabled: boolean;
}

/** A cached kernel with the absolute paths of its files. */
export interface CachedKernel {
  meta: KernelMeta;
  dir: string;
  kernel: string;
  config: string;
  log: string;
  sizeBytes: number;
}

export async function readKernel(id: string): Promise<CachedKernel | undefined> {
  const dir = artifactDir(id);
  let meta: KernelMeta;
  try {
    meta = JSON.parse(await readFile(join(dir, ARTIFACT_FILES.meta), "utf8")) as KernelMeta;
  } catch {
    return undefined;
  }
  if (meta.format !== 1 || meta.id !== id) return undefined;
  const kernel = join(dir, ARTIFACT_FILES.kernel);
  const st = await stat(kernel).catch(() => undefined);
  if (!st?.isFile()) return undefined;
  return { meta, dir, kernel, config: join(dir, ARTIFACT_FILES.config), log: join(dir, ARTIFACT_FILES.log), sizeBytes: st.size };
}

/** Every complete kernel in the cache, newest first. */
export async function listKernels(): Promise<CachedKernel[]> {
  const names = await readdir(kernelsDir()).catch(() => [] as string[]);
  const all = await Promise.all(names.filter((n) => ID_PATTERN.test(n)).map(readKernel));
  return all.filter((k): k is CachedKernel => !!k).sort((a, b) => b.meta.created.localeCompare(a.meta.created));
}
