import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureImage, imagePath, imagesDir, listImages, loadRecipe, imageId, readImage } from "../../../harness/image/index.ts";
import { nullSink, type HangarEvent } from "../../../harness/common/index.ts";

let cache: string;
const saved = process.env.HANGAR_CACHE;

beforeEach(async () => {
  cache = await mkdtemp(join(tmpdir(), "hangar-cache-"));
  process.env.HANGAR_CACHE = cache;
});
afterEach(async () => {
  if (saved === undefined) delete process.env.HANGAR_CACHE;
  else process.env.HANGAR_CACHE = saved;
  await rm(cache, { recursive: true, force: true });
});

/** A fake complete image folder (no real build): what a finished build leaves. */
async function fakeImage(id: string, recipe: string, hash: string, builtAt = "2026-01-01T00:00:00.000Z"): Promise<string> {
  const dir = join(imagesDir(), id);
  await mkdir(dir, { recursive: true });
  for (const f of ["rootfs.ext4", "vmlinuz", "initrd.img", "id_ed25519", "id_ed25519.pub", "kernel.config"]) await writeFile(join(dir, f), "x");
  await writeFile(
    join(dir, "image.json"),
    JSON.stringify({
      format: 1, id, recipe, recipeHash: hash, builtAt, sizeBytes: 1, kernelVersion: "6.1.0-test", bootArgs: ["quiet"],
      files: { rootfs: "rootfs.ext4", kernel: "vmlinuz", initrd: "initrd.img", sshKey: "id_ed25519", sshPubKey: "id_ed25519.pub", kernelConfig: "kernel.config" },
    }),
  );
  return dir;
}

describe("image cache", () => {
  it("returns a cached image whose recipe hash matches, without building", async () => {
    const r = await loadRecipe();
    const id = imageId(r);
    const dir = await fakeImage(id, r.name, r.hash);
    const events: HangarEvent[] = [];
    const a = await ensureImage({ sink: { emit: (e) => events.push(e) } });
    expect(a.id).toBe(id);
    expect(a.dir).toBe(dir);
    expect(a.rootfs).toBe(join(dir, "rootfs.ext4"));
    expect(a.kernelConfig).toBe(join(dir, "kernel.config"));
    expect(a.bootArgs).toEqual(["quiet"]);
    expect(events.some((e) => e.type === "step")).toBe(false);
    expect((await imagePath()).built).toBe(true);
  });

  it("takes a folder without image.json, or with a file missing, as not built", async () => {
    const dir = await fakeImage("x-1", "x", "1");
    expect(await readImage(dir)).toBeDefined();
    await rm(join(dir, "initrd.img"));
    expect(await readImage(dir)).toBeUndefined();
    const dir2 = await fakeImage("x-2", "x", "2");
    await rm(join(dir2, "image.json"));
    expect(await readImage(dir2)).toBeUndefined();
  });

  it("lists complete images newest first and skips temp folders", async () => {
    await fakeImage("a-1", "a", "1", "2026-01-01T00:00:00.000Z");
    await fakeImage("b-2", "b", "2", "2026-02-01T00:00:00.000Z");
    await mkdir(join(imagesDir(), ".build-c-3-1-abc"), { recursive: true });
    expect((await listImages()).map((a) => a.id)).toEqual(["b-2", "a-1"]);
  });

  it("reports an unknown recipe before doing anything", async () => {
    await expect(ensureImage({ recipe: "no-such-recipe", sink: nullSink })).rejects.toThrow(/no-such-recipe.*recipe\.json does not exist/);
  });
});
