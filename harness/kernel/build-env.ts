/** The make command line and environment every step of a kernel build shares (config, build, modules). */
import { availableParallelism } from "node:os";
import { ARCH } from "./cache-key.ts";
import { ccacheDir } from "./layout.ts";

/**
 * Environment: ccache in the cache (depend mode), paths below the build's own tree hashed
 * relative to its O= dir, and a fixed build stamp (user, host, time, build number), so two
 * builds of the same tree give the same bzImage: bisect's noop detection compares them byte
 * for byte.
 */
export function buildEnv(src: string): Record<string, string> {
  return {
    CCACHE_DIR: ccacheDir(),
    CCACHE_BASEDIR: src,
    CCACHE_NOHASHDIR: "1",
    // Depend mode: a miss takes the headers from the compiler's own -MMD file instead of running
    // the preprocessor a second time, so a cold build costs about what it would without ccache
    // (hits are looked up as before: a cache filled without it still hits).
    CCACHE_DEPEND: "1",
    CCACHE_MAXSIZE: "5G",
    KBUILD_BUILD_USER: "hangar",
    KBUILD_BUILD_HOST: "hangar",
    KBUILD_BUILD_TIMESTAMP: "Thu Jan  1 00:00:00 UTC 1970",
    KBUILD_BUILD_VERSION: "1",
  };
}

/** `make -C <src> O=<obj> ARCH=… CC="ccache gcc" HOSTCC="ccache gcc" <targets>`. */
export function makeArgs(src: string, obj: string, targets: readonly string[], extra: readonly string[] = []): string[] {
  return ["-C", src, `O=${obj}`, ...toolchainArgs(), ...extra, ...targets];
}

/** ARCH and the compilers, for every make of a build (a different CC would change the config). */
export function toolchainArgs(): string[] {
  return [`ARCH=${ARCH}`, "CC=ccache gcc", "HOSTCC=ccache gcc"];
}

export function jobs(): number {
  return Math.max(1, availableParallelism());
}
