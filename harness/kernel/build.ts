/**
 * `hangar kernel build`: source → (patches) → config (allnoconfig + kvm_guest.config +
 * fragments + olddefconfig, verified) → make bzImage modules (ccache, nice 10) → artifact
 * → out-of-tree modules. Cached by kernelId(source identity, patch hashes, merged config).
 */
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { errorMessage, formatMs, timedStep, writeJsonAtomic, type EventSink } from "../common/index.ts";
import { withLock } from "../common/lock.ts";
import { BuildLog } from "../common/build-log.ts";
import { buildEnv, jobs, makeArgs } from "./build-env.ts";
import { kernelId, sha256 } from "./cache-key.ts";
import { DEFAULT_FRAGMENTS, applyOptions, loadFragments, mergeFragments, renderOptions } from "./fragments.ts";
import { ARTIFACT_FILES, artifactDir, buildRoot, kernelsDir, lockPath } from "./layout.ts";
import { readKernel, type CachedKernel, type KernelMeta } from "./meta.ts";
import { ensureModules } from "./modules.ts";
import { applyPatches, readPatches } from "./patch.ts";
import { kernelTimeout, KernelBuildError, kernelTool } from "./tools.ts";
import { waitUntilUnused } from "./in-use.ts";
import { resolveSource, type SourceSpec } from "./source.ts";
import { describeMismatches, readConfigValues, verifyConfig } from "./verify-config.ts";

export interface KernelBuildOptions extends SourceSpec {
  patches?: string[];
  fragments?: string[];
  /** Build again even when the cache has this kernel (into a fresh O= directory). */
  rebuild?: boolean;
  sink: EventSink;
  signal?: AbortSignal;
}

export interface KernelBuildResult {
  kernel: CachedKernel;
  modules: Record<string, string>;
  cached: boolean;
}

/** What a build of these options would be called, without building: the id and its inputs. */
export async function planKernel(o: KernelBuildOptions) {
  const source = await resolveSource(o, { sink: o.sink, ...(o.signal ? { signal: o.signal } : {}) });
  const patches = await readPatches(o.patches ?? []);
  const fragmentNames = o.fragments?.length ? o.fragments : [...DEFAULT_FRAGMENTS];
  const merged = mergeFragments(await loadFragments(fragmentNames));
  const configText = renderOptions(merged.options);
  const id = kernelId({ source: source.identity, patches: patches.map((p) => p.sha256), config: sha256(configText) });
  return { id, source, patches, fragmentNames, merged, configText };
}

export async function buildKernel(o: KernelBuildOptions): Promise<KernelBuildResult> {
  const { sink, signal } = o;
  const sig = signal ? { signal } : {};
  const t0 = Date.now();
  const plan = await planKernel(o);
  const { id, source, patches, fragmentNames, merged } = plan;
  sink.emit({ type: "log", level: "info", message: `kernel ${id}: ${source.description}; fragments ${fragmentNames.join(",")}${patches.length ? `; patches ${patches.map((p) => p.path).join(", ")}` : ""}` });

  const done = async (kernel: CachedKernel, cached: boolean): Promise<KernelBuildResult> => {
    // Outside the build lock: ensureModules takes it itself.
    const modules = await ensureModules(kernel.meta, { sink, strict: true, ...sig });
    sink.emit({ type: "step", step: "kernel.done", status: "done", elapsedMs: Date.now() - t0, detail: `${id} ${kernel.meta.version}${cached ? " (cached)" : ""}: ${kernel.kernel}` });
    return { kernel, modules, cached };
  };
  if (!o.rebuild) {
    const k = await readKernel(id);
    if (k) return done(k, true);
  }

  await mkdir(kernelsDir(), { recursive: true });
  let cached = false;
  const built = await withLock(lockPath(id), { deadlineMs: kernelTimeout("build") + 30 * 60_000, sink, step: "kernel.build", what: "build", ...sig }, async (): Promise<CachedKernel> => {
    if (!o.rebuild) {
      const k = await readKernel(id); // built by another process while we waited
      if (k) {
        cached = true;
        return k;
      }
    }
    const art = artifactDir(id);
    const b = buildRoot(id);
    // A guest may be booting this kernel (or copying its modules): never pull it from under it.
    if (o.rebuild) await waitUntilUnused(id, { sink, ...sig });
    // Nothing half-built survives: meta.json first (the kernel disappears from the list), then the rest.
    await rm(join(art, ARTIFACT_FILES.meta), { force: true });
    await rm(art, { recursive: true, force: true });
    await rm(b.root, { recursive: true, force: true });
    await mkdir(art, { recursive: true });
    await mkdir(b.src, { recursive: true });
    await mkdir(b.obj, { recursive: true });
    const log = new BuildLog(join(art, ARTIFACT_FILES.log), { append: true });
    const env = buildEnv(b.src);
    const make = (targets: string[], timeoutMs: number, extra: string[] = [], onLine?: (l: string) => void) =>
      kernelTool("make", makeArgs(b.src, b.obj, targets, extra), { timeoutMs, log, env, ...sig, ...(onLine ? { onLine } : {}) });
    let makeSeconds = 0;
    let meta: KernelMeta;
    try {
      log.line(`# hangar kernel build ${id} at ${new Date().toISOString()}: ${source.description}`);
      log.line(`# fragments ${fragmentNames.join(",")}; patches ${patches.map((p) => `${p.path} (${p.sha256.slice(0, 12)})`).join(", ") || "none"}`);
      for (const ov of merged.overrides) log.line(`# ${ov.option}: ${ov.from.value} (${ov.from.fragment}) overridden by ${ov.to.value} (${ov.to.fragment})`);

      await timedStep(sink, "kernel.source", async () => {
        await source.export(b.src, log, signal);
      }, `${source.kind} tree → ${b.src}`);

      if (patches.length) {
        await timedStep(sink, "kernel.patch", () => applyPatches(b.src, patches, log, signal), patches.map((p) => p.path).join(", "));
      }

      const config = await timedStep(sink, "kernel.config", async () => {
        await make(["allnoconfig"], kernelTimeout("config"));
        await make(["kvm_guest.config"], kernelTimeout("config"));
        const dotConfig = join(b.obj, ".config");
        await writeFile(dotConfig, applyOptions(await readFile(dotConfig, "utf8"), merged.options));
        await make(["olddefconfig"], kernelTimeout("config"));
        const text = await readFile(dotConfig, "utf8");
        const bad = verifyConfig(merged.options, text);
        if (bad.length) {
          log.line(`# options that did not stick:\n${describeMismatches(bad)}`);
          throw new KernelBuildError(
            `${bad.length} requested option(s) did not stick after olddefconfig (missing dependencies, or not available in this tree):\n${describeMismatches(bad)}\n(config: ${dotConfig}; log: ${log.path})`,
            log.path,
          );
        }
        return text;
      }, `${fragmentNames.join(",")}: ${merged.options.size} options`);

      const modulesEnabled = readConfigValues(config).get("CONFIG_MODULES") === "y";
      const targets = modulesEnabled ? ["bzImage", "modules"] : ["bzImage"];
      const tMake = Date.now();
      let compiled = 0;
      await timedStep(sink, "kernel.build", () =>
        kernelTool("nice", ["-n", "10", "make", ...makeArgs(b.src, b.obj, targets, [`-j${jobs()}`])], {
          timeoutMs: kernelTimeout("build"), log, env, ...sig,
          onLine: (l) => {
            const m = /^\s+(CC|AS|LD|AR|HOSTCC|OBJCOPY)\s+(?:\[M\]\s+)?(\S+)/.exec(l);
            if (!m) return;
            if (m[1] === "CC") compiled++;
            sink.emit({ type: "progress", step: "kernel.build", message: `${formatMs(Date.now() - tMake)}, ${compiled} files compiled: ${m[1]} ${m[2]}` });
          },
        }),
        `make -j${jobs()} ${targets.join(" ")} (nice 10, ccache)`,
      );
      makeSeconds = Math.round((Date.now() - tMake) / 1000);

      const version = (await readFile(join(b.obj, "include", "config", "kernel.release"), "utf8")).trim();
      await copyFile(join(b.obj, "arch", "x86", "boot", "bzImage"), join(art, ARTIFACT_FILES.kernel));
      await copyFile(join(b.obj, ".config"), join(art, ARTIFACT_FILES.config));
      meta = {
        format: 1,
        id,
        version,
        source: { kind: source.kind, identity: source.identity, description: source.description },
        fragments: fragmentNames,
        patches: patches.map((p) => ({ file: p.path, sha256: p.sha256 })),
        configSha256: sha256(plan.configText),
        created: new Date().toISOString(),
        buildSeconds: Math.round((Date.now() - t0) / 1000),
        makeSeconds,
        buildDir: b.obj,
        srcDir: b.src,
        modulesEnabled,
      };
      log.line(`# kernel ${version} built in ${formatMs(Date.now() - t0)} (make ${makeSeconds} s)`);
      await log.close();
      if (log.failed) throw new KernelBuildError(`the build log: ${log.failed.message}`, log.path);
    } catch (err) {
      log.line(`# failed: ${errorMessage(err).split("\n")[0]}`);
      throw err instanceof KernelBuildError ? err : new KernelBuildError(`${errorMessage(err)}\n(log: ${log.path})`, log.path);
    } finally {
      await log.close();
    }
    // Last: from here on the kernel is listed and bootable.
    await writeJsonAtomic(join(art, ARTIFACT_FILES.meta), meta);
    return (await readKernel(id))!;
  });
  return done(built, cached);
}
