import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { execa } from "execa";

/** Where the guest kernel comes from. */
export interface KernelArtifact {
  /** "image": the Debian kernel of the guest image; "path": a bzImage given by the user. */
  source: "image" | "path";
  kernel: string;
  initrd?: string;
  /** Version string when known (from the image metadata or `file` on the bzImage). */
  version?: string;
  /** Path of the kernel's .config when known (CONFIG_* requirement checks also read it in the guest). */
  config?: string;
}

/**
 * Pick the kernel for a run: the image's own kernel and initrd (default), or a bzImage path.
 * A bzImage is booted without an initrd, so it must have virtio-blk, ext4 and virtio-net built in.
 */
export async function resolveKernel(opts: {
  image: { kernel: string; initrd: string; kernelVersion: string; kernelConfig?: string };
  path?: string;
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
  if (!st?.isFile()) throw new Error(`--kernel: ${p} is not a file (expected a bzImage)`);
  const version = await bzImageVersion(p);
  return { source: "path", kernel: p, ...(version ? { version } : {}) };
}

/** The version string embedded in a bzImage header, via file(1) when available. */
async function bzImageVersion(path: string): Promise<string | undefined> {
  const r = await execa("file", ["-b", path], { reject: false, timeout: 10_000 });
  const m = /version (\S+)/.exec(String(r.stdout ?? ""));
  return m?.[1];
}
