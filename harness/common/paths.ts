import { homedir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (this file is harness/common/paths.ts). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Cache for built artifacts: $HANGAR_CACHE, else $XDG_CACHE_HOME/hangar, else ~/.cache/hangar. */
export function cacheDir(): string {
  if (process.env.HANGAR_CACHE) return resolve(process.env.HANGAR_CACHE);
  const xdg = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(xdg, "hangar");
}

/** Where runs write their results: $HANGAR_RESULTS, else <repo>/results. */
export function resultsDir(): string {
  return process.env.HANGAR_RESULTS ? resolve(process.env.HANGAR_RESULTS) : join(repoRoot, "results");
}
