import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nullSink } from "../../../harness/common/index.ts";
import { KernelBuildError, buildKernel, kernelUsers, planKernel, useKernel } from "../../../harness/kernel/index.ts";
import { waitUntilUnused } from "../../../harness/kernel/in-use.ts";
import { kernelsDir } from "../../../harness/kernel/layout.ts";

let cache: string;
const saved = process.env.HANGAR_CACHE;
beforeEach(async () => {
  cache = await mkdtemp(join(tmpdir(), "hangar-inuse-"));
  process.env.HANGAR_CACHE = cache;
});
afterEach(async () => {
  if (saved === undefined) delete process.env.HANGAR_CACHE;
  else process.env.HANGAR_CACHE = saved;
  await rm(cache, { recursive: true, force: true });
});

/** A built kernel as the cache holds it (meta.json written last). */
async function fakeKernel(id: string): Promise<string> {
  const dir = join(kernelsDir(), id);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "bzImage"), "kernel");
  await writeFile(join(dir, "meta.json"), JSON.stringify({ format: 1, id, version: "6.12-test", created: new Date().toISOString(), modulesEnabled: false, buildDir: "/nonexistent", srcDir: "/nonexistent" }));
  return dir;
}

describe("useKernel", () => {
  it("marks a kernel in use until released", async () => {
    await fakeKernel("0123456789ab");
    const release = await useKernel("0123456789ab");
    expect(await kernelUsers("0123456789ab")).toEqual([process.pid]);
    await release();
    await release(); // idempotent
    expect(await kernelUsers("0123456789ab")).toEqual([]);
  });

  it("refuses a kernel that is not in the cache", async () => {
    await expect(useKernel("0123456789ab")).rejects.toBeInstanceOf(KernelBuildError);
  });

  it("a mark left by a process that is gone does not count (and is removed)", async () => {
    const dir = join(kernelsDir(), ".users", "0123456789ab");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `${2 ** 22 + 12345}-abcd0123`), "{}");
    expect(await kernelUsers("0123456789ab")).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
  });

  it("waitUntilUnused waits for the release, and gives up at its deadline naming the users", async () => {
    await fakeKernel("0123456789ab");
    const release = await useKernel("0123456789ab");
    const err = await waitUntilUnused("0123456789ab", { deadlineMs: 100, pollMs: 20 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KernelBuildError);
    expect((err as Error).message).toContain(`pid ${process.pid}`);
    let done = false;
    const waiting = waitUntilUnused("0123456789ab", { deadlineMs: 5000, pollMs: 20 }).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(done).toBe(false);
    await release();
    await waiting;
    expect(done).toBe(true);
  });
});

describe("kernel build --rebuild", () => {
  it("does not delete a kernel a guest is using; goes on once it is released", async () => {
    // A tiny "kernel tree": enough for the plan (its id); its make fails, after the wait.
    const src = join(cache, "linux");
    await mkdir(src, { recursive: true });
    await writeFile(join(src, "Kconfig"), 'mainmenu "t"\n');
    const plan = await planKernel({ source: src, sink: nullSink });
    const art = await fakeKernel(plan.id);
    const release = await useKernel(plan.id);
    let settled = false;
    const build = buildKernel({ source: src, rebuild: true, sink: nullSink }).then(
      () => "built",
      (e: unknown) => e,
    ).finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 1500));
    expect(settled).toBe(false);
    expect((await stat(join(art, "bzImage"))).isFile()).toBe(true);
    await release();
    const r = await build;
    expect(r).toBeInstanceOf(KernelBuildError); // the tiny tree does not build: but the wait was over
    await expect(stat(join(art, "bzImage"))).rejects.toThrow(); // the rebuild went ahead
  }, 60_000);
});
