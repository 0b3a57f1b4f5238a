/**
 * Out-of-tree test modules (vm-images/modules/<name>/, each with a Kbuild or Makefile),
 * built against a kernel's O= directory and stored in its artifact as modules/<ko>.ko.
 * modules/modules.json records each module folder's source hash: when the sources change,
 * only the modules are rebuilt (the kernel id does not depend on them).
 */
import { copyFile, cp, mkdir, readFile, readdir, rm, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { errorMessage, repoRoot, writeJsonAtomic, type EventSink } from "../common/index.ts";
import { withLock } from "../common/lock.ts";
import { BuildLog } from "../common/build-log.ts";
import { buildEnv, jobs, toolchainArgs } from "./build-env.ts";
import { sha256 } from "./cache-key.ts";
import { ARTIFACT_FILES, artifactDir, buildRoot, lockPath } from "./layout.ts";
import type { KernelMeta } from "./meta.ts";
import { kernelTimeout, KernelBuildError, kernelTool } from "./tools.ts";

export function modulesRoot(): string {
  return join(repoRoot, "vm-images", "modules");
}

/** Build products that may sit in a module folder after a manual build: not part of its sources. */
const PRODUCT = /(\.o|\.ko|\.mod|\.mod\.c|\.mod\.o|\.cmd|\.order|\.symvers|\.a)$|^\.tmp_/;

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const it of await readdir(d, { withFileTypes: true })) {
      const p = join(d, it.name);
      if (it.isDirectory()) await walk(p);
      else if (it.isFile() && !PRODUCT.test(it.name) && it.name !== "Module.symvers" && it.name !== "modules.order") out.push(relative(dir, p));
    }
  };
  await walk(dir);
  return out.sort();
}

/** sha256 over the relative path and contents of every source file of a module folder. */
export async function moduleSourceHash(dir: string): Promise<string> {
  const parts: string[] = [];
  for (const rel of await sourceFiles(dir)) parts.push(`${rel}\0${sha256(await readFile(join(dir, rel)))}`);
  return sha256(parts.join("\n"));
}

/** Module folders (those with a Kbuild or Makefile), by name. */
export async function moduleDirs(root = modulesRoot()): Promise<string[]> {
  const items = await readdir(root, { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const it of items) {
    if (!it.isDirectory()) continue;
    const d = join(root, it.name);
    if ((await stat(join(d, "Kbuild")).catch(() => undefined)) || (await stat(join(d, "Makefile")).catch(() => undefined))) out.push(it.name);
  }
  return out.sort();
}

export interface ModulesIndex {
  format: 1;
  /** Per module folder: its source hash and the .ko files it produced (module name → file in modules/). */
  folders: Record<string, { sourceSha256: string; kos: Record<string, string>; builtAt: string }>;
}

function indexPath(id: string): string {
  return join(artifactDir(id), ARTIFACT_FILES.modulesDir, ARTIFACT_FILES.modulesIndex);
}

export async function readModulesIndex(id: string): Promise<ModulesIndex> {
  try {
    const idx = JSON.parse(await readFile(indexPath(id), "utf8")) as ModulesIndex;
    if (idx.format === 1 && idx.folders) return idx;
  } catch {
    /* none yet */
  }
  return { format: 1, folders: {} };
}

/** Module name → absolute .ko path, from an index. */
export function modulePaths(id: string, idx: ModulesIndex): Record<string, string> {
  const out: Record<string, string> = {};
  const dir = join(artifactDir(id), ARTIFACT_FILES.modulesDir);
  for (const f of Object.values(idx.folders)) for (const [name, file] of Object.entries(f.kos)) out[name] = join(dir, file);
  return out;
}

/** Build one module folder against the kernel's O= dir, in a copy (M= writes its objects next to the sources). */
async function buildOne(meta: KernelMeta, name: string, log: BuildLog, signal?: AbortSignal): Promise<Record<string, string>> {
  const copy = join(buildRoot(meta.id).extModules, name);
  await rm(copy, { recursive: true, force: true });
  await mkdir(copy, { recursive: true });
  await cp(join(modulesRoot(), name), copy, { recursive: true, filter: (s) => !PRODUCT.test(s.split("/").pop() ?? "") });
  await kernelTool("make", ["-C", meta.buildDir, `M=${copy}`, ...toolchainArgs(), `-j${jobs()}`, "modules"], {
    timeoutMs: kernelTimeout("modules"), log, env: buildEnv(meta.srcDir), ...(signal ? { signal } : {}),
  });
  const outDir = join(artifactDir(meta.id), ARTIFACT_FILES.modulesDir);
  await mkdir(outDir, { recursive: true });
  const kos: Record<string, string> = {};
  for (const f of await readdir(copy)) {
    if (!f.endsWith(".ko")) continue;
    await copyFile(join(copy, f), join(outDir, f));
    kos[f.slice(0, -3)] = f;
  }
  if (!Object.keys(kos).length) throw new KernelBuildError(`module ${name}: make produced no .ko in ${copy}`);
  return kos;
}

/**
 * Make the artifact's modules match vm-images/modules/: build folders that are new or whose
 * sources changed, drop folders that are gone. Returns module name → .ko path. A kernel
 * without CONFIG_MODULES, or whose O= dir is gone, has no modules (with a warning for the latter).
 */
export async function ensureModules(meta: KernelMeta, o: { sink: EventSink; signal?: AbortSignal; strict?: boolean }): Promise<Record<string, string>> {
  if (!meta.modulesEnabled) return {};
  const wanted = await moduleDirs();
  const hashes = Object.fromEntries(await Promise.all(wanted.map(async (n) => [n, await moduleSourceHash(join(modulesRoot(), n))] as const)));
  let idx = await readModulesIndex(meta.id);
  const stale = wanted.filter((n) => idx.folders[n]?.sourceSha256 !== hashes[n]);
  const gone = Object.keys(idx.folders).filter((n) => !wanted.includes(n));
  if (!stale.length && !gone.length) return modulePaths(meta.id, idx);
  if (!(await stat(join(meta.buildDir, "Makefile")).catch(() => undefined))) {
    const msg = `kernel ${meta.id}: cannot build modules ${stale.join(", ")}: its build directory ${meta.buildDir} is gone (hangar kernel build --rebuild)`;
    if (o.strict) throw new KernelBuildError(msg);
    o.sink.emit({ type: "log", level: "warn", message: msg });
    return modulePaths(meta.id, idx);
  }
  return withLock(lockPath(meta.id), { deadlineMs: 30 * 60_000, sink: o.sink, step: "kernel.modules", what: "modules", ...(o.signal ? { signal: o.signal } : {}) }, async () => {
    idx = await readModulesIndex(meta.id);
    const log = new BuildLog(join(artifactDir(meta.id), ARTIFACT_FILES.log), { append: true });
    const failures: string[] = [];
    try {
      for (const n of gone) delete idx.folders[n];
      for (const n of wanted.filter((w) => idx.folders[w]?.sourceSha256 !== hashes[w])) {
        const t0 = Date.now();
        o.sink.emit({ type: "step", step: "kernel.modules", status: "start", detail: n });
        try {
          const kos = await buildOne(meta, n, log, o.signal);
          idx.folders[n] = { sourceSha256: hashes[n]!, kos, builtAt: new Date().toISOString() };
          o.sink.emit({ type: "step", step: "kernel.modules", status: "done", elapsedMs: Date.now() - t0 });
        } catch (err) {
          o.sink.emit({ type: "step", step: "kernel.modules", status: "fail", detail: `${n}: ${errorMessage(err).split("\n")[0]}`, elapsedMs: Date.now() - t0 });
          failures.push(`${n}: ${errorMessage(err)}`);
        }
      }
      await writeJsonAtomic(indexPath(meta.id), idx);
    } finally {
      await log.close();
    }
    if (failures.length) {
      const msg = `module build failed:\n${failures.join("\n")}`;
      if (o.strict) throw new KernelBuildError(msg, join(artifactDir(meta.id), ARTIFACT_FILES.log));
      o.sink.emit({ type: "log", level: "warn", message: msg });
    }
    return modulePaths(meta.id, idx);
  });
}
