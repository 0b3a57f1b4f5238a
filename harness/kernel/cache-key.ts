/** The cache id of a kernel build: a short hash of what determines the bzImage. Pure. */
import { createHash } from "node:crypto";

/**
 * Bump when the way a kernel is built changes (base config steps, make targets, flags), so
 * old artifacts are not mistaken for new ones.
 */
export const KERNEL_BUILDER_VERSION = 1;

/** How the base config is made before the fragments: `make allnoconfig` then `make kvm_guest.config`. */
export const BASE_CONFIG = "allnoconfig+kvm_guest.config";
export const ARCH = "x86_64";

export interface KeyInput {
  /** The source identity, e.g. "debian:linux-source-6.12=6.12.117-1~deb12u1" or "git-tree:<sha>". */
  source: string;
  /** sha256 of each patch's contents, in application order (file names do not matter). */
  patches: readonly string[];
  /** sha256 of the merged fragment options (renderOptions). */
  config: string;
}

export function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

export function kernelId(k: KeyInput): string {
  const canonical = JSON.stringify({
    builder: KERNEL_BUILDER_VERSION,
    base: BASE_CONFIG,
    arch: ARCH,
    source: k.source,
    patches: [...k.patches],
    config: k.config,
  });
  return sha256(canonical).slice(0, 12);
}
