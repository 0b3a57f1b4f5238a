/**
 * Temp dirs for one test file, removed after it (HANGAR_KEEP_TEST_DIRS=1 keeps them to look at).
 *
 * Call `tempDirs()` at the top level of the test file (or of a module only that file imports): the
 * removal is an `afterAll` of the file that calls it. A module-level hook in a shared helper would
 * belong to whichever file imported it first, since the unit tests share modules (no isolation).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

export function tempDirs(): (prefix: string) => Promise<string> {
  const made: string[] = [];
  afterAll(async () => {
    if (process.env.HANGAR_KEEP_TEST_DIRS) return;
    await Promise.all(made.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });
  return async (prefix) => {
    const d = await mkdtemp(join(tmpdir(), prefix));
    made.push(d);
    return d;
  };
}
