import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { execa } from "execa";
import { nullSink, type EventSink } from "../common/index.ts";
import { KernelIdError, resolveIdPrefix } from "./id-prefix.ts";
import { listKernels } from "./meta.ts";
import { ensureModules } from "./modules.ts";

/** Where the guest kernel comes from. */
export interface KernelArtifact {
  /** "image": the Debian kernel of the guest image; "path": a bzImage given by the user; "build": a kernel from `hangar kernel build`. */
  source: "image" | "path" | "build";
  kernel: string;
  initrd?: string;
  /** Version string when known (from the image metadata, meta.json, or `file` on the bzImage). */
  version?: string;
  /** Path of the kernel's .config when known (CONFIG_* requirement checks also read it in the guest). */
  config?: string;
  /** Cache id of a built kernel. */
  id?: string;
  /** The O= build directory of a built kernel (out-of-tree modules build against it). */
  buildDir?: string;
  /** Out-of-tree test modules built for this kernel: module name → absolute .ko path. */
  modules?: Record<string, string>;
}

/**
 * Pick the kernel for a run: the image's own kernel and initrd (default), a bzImage path, or
 * the id (or unique id prefix) of a kernel in the cache (`hangar kernel list`). A bzImage or
 * built kernel is booted without an initrd, so it must have virtio-blk, ext4 and virtio-net
 * built in. Resolving a built kernel rebuilds its test modules when their sources changed.
 */
export async function resolveKernel(opts: {
  image: { kernel: string; initrd: string; kernelVersion: string; kernelConfig?: string };
  path?: string;
  sink?: EventSink;
  signal?: AbortSignal;
}): Promise<KernelArtifact> {
  if (!opts.path) {
    return {
      source: "image",
      kernel: opts.image.kernel,
      initrd: opts.image.initrd,
      version: opts.image.kernelVersion,
      ...(opts.image.kernelConfig ? { config: opts.image.kernelConfig } : {}),
    };
  }
  const p = resolve(opts.path);
  const st = await stat(p).catch(() => undefined);
  if (st?.isFile()) {
    const version = await bzImageVersion(p);
    return { source: "path", kernel: p, ...(version ? { version } : {}) };
  }
  if (st || !/^[0-9a-fA-F]+$/.test(opts.path)) {
    throw new KernelIdError(`--kernel ${opts.path}: expected a bzImage file or a kernel id from \`hangar kernel list\`, but ${p} ${st ? "is not a file" : "does not exist"}`);
  }
  const all = await listKernels();
  let id: string;
  try {
    id = resolveIdPrefix(opts.path, all.map((k) => k.meta.id));
  } catch (err) {
    throw new KernelIdError(`--kernel ${opts.path}: ${(err as Error).message}`);
  }
  const k = all.find((x) => x.meta.id === id)!;
  const modules = await ensureModules(k.meta, { sink: opts.sink ?? nullSink, ...(opts.signal ? { signal: opts.signal } : {}) });
  return {
    source: "build",
    kernel: k.kernel,
    version: k.meta.version,
    config: k.config,
    id,
    buildDir: k.meta.buildDir,
    modules,
  };
}

/** The version string embedded in a bzImage header, via file(1) when available. */
async function bzImageVersion(path: string): Promise<string | undefined> {
  const r = await execa("file", ["-b", path], { reject: false, timeout: 10_000 });
  const m = /version (\S+)/.exec(String(r.stdout ?? ""));
  return m?.[1];
}
