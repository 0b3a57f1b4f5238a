import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { mkdtemp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureImage, imagePath, imagesDir, listImages, loadRecipe, imageId, readImage } from "../../../harness/image/index.ts";
import { nullSink, type HangarEvent } from "../../../harness/common/index.ts";
import { hostKeyMatches, hostKeyType, parseHostKey } from "../../../harness/image/index.ts";
import { isRoot, tmpfs } from "../common/tmpfs.ts";
import { execa } from "execa";

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

const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBmCQ0GCmP5Vn8i3Uyz6yOqvLkE1p5m0Xc9l5oZcK2sS";

/** A fake complete image folder (no real build): what a finished build leaves. */
async function fakeImage(id: string, recipe: string, hash: string, builtAt = "2026-01-01T00:00:00.000Z"): Promise<string> {
  const dir = join(imagesDir(), id);
  await mkdir(dir, { recursive: true });
  for (const f of ["rootfs.ext4", "vmlinuz", "initrd.img", "id_ed25519", "id_ed25519.pub", "kernel.config"]) await writeFile(join(dir, f), "x");
  await writeFile(join(dir, "ssh_host_ed25519_key.pub"), `${HOST_KEY} root@hangar-test\n`);
  await writeFile(
    join(dir, "image.json"),
    JSON.stringify({
      format: 2, id, recipe, recipeHash: hash, builtAt, sizeBytes: 1, kernelVersion: "6.1.0-test", bootArgs: ["quiet"], hostKey: HOST_KEY,
      files: { rootfs: "rootfs.ext4", kernel: "vmlinuz", initrd: "initrd.img", sshKey: "id_ed25519", sshPubKey: "id_ed25519.pub", hostKey: "ssh_host_ed25519_key.pub", kernelConfig: "kernel.config" },
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
    expect(a.hostKey).toBe(HOST_KEY);
    expect(a.hostKeyFile).toBe(join(dir, "ssh_host_ed25519_key.pub"));
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

  it("takes an image without a pinned host key (format 1), or whose key file disagrees, as not built", async () => {
    const dir = await fakeImage("x-3", "x", "3");
    const meta = JSON.parse(await readFile(join(dir, "image.json"), "utf8"));
    await writeFile(join(dir, "image.json"), JSON.stringify({ ...meta, format: 1 }));
    expect(await readImage(dir)).toBeUndefined();
    const dir2 = await fakeImage("x-4", "x", "4");
    await writeFile(join(dir2, "ssh_host_ed25519_key.pub"), "ssh-ed25519 AAAAother\n");
    expect(await readImage(dir2)).toBeUndefined();
  });

  it.skipIf(!isRoot)("a read-only cache with a warm image still runs (nothing is written on a hit)", async () => {
    const fs = await tmpfs("size=1m");
    try {
      process.env.HANGAR_CACHE = fs.dir;
      const r = await loadRecipe();
      const dir = await fakeImage(imageId(r), r.name, r.hash);
      await fs.readOnly();
      const a = await ensureImage({ sink: nullSink });
      expect(a.dir).toBe(dir);
      expect(a.hostKey).toBe(HOST_KEY);
    } finally {
      process.env.HANGAR_CACHE = cache;
      await fs.done();
    }
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

describe("parseHostKey", () => {
  it("keeps type and key of a .pub line, drops the comment, rejects anything else", () => {
    expect(parseHostKey(`${HOST_KEY} root@hangar-x\n`)).toBe(HOST_KEY);
    expect(parseHostKey(HOST_KEY)).toBe(HOST_KEY);
    expect(parseHostKey("")).toBeUndefined();
    expect(parseHostKey("ssh-dss AAAA")).toBeUndefined();
    expect(parseHostKey("ssh-ed25519 not/base64!")).toBeUndefined();
  });
  it("matches the key blob ssh2's hostVerifier receives, and nothing else", async () => {
    // A real key pair from ssh-keygen: its .pub base64 is the blob the server sends.
    const d = await mkdtemp(join(tmpdir(), "hangar-hostkey-"));
    try {
      await execa("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(d, "k")], { timeout: 30_000 });
      const pinned = parseHostKey(await readFile(join(d, "k.pub"), "utf8"))!;
      const blob = Buffer.from(pinned.split(" ")[1]!, "base64");
      expect(hostKeyType(pinned)).toBe("ssh-ed25519");
      expect(hostKeyMatches(pinned, blob)).toBe(true);
      expect(hostKeyMatches(HOST_KEY, blob)).toBe(false);
      expect(hostKeyMatches("garbage", blob)).toBe(false);
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  });
});
