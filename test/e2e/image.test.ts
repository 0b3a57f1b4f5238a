/**
 * Builds (or reuses from the cache) the default image for real: mmdebstrap, mkfs.ext4 -d,
 * kernel extraction, SSH key. Does not boot it (vm/ tests do). Needs root, mmdebstrap and
 * the Debian mirror; a cold build takes about a minute here, a cache hit milliseconds.
 */
import { describe, it, expect } from "vitest";
import { appendFile, cp, mkdtemp, readFile, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { ensureImage, listImages, loadRecipe, imageId, recipesRoot, DEFAULT_RECIPE, ImageBuildError, type ImageArtifact } from "../../harness/image/index.ts";
import type { HangarEvent } from "../../harness/common/index.ts";

const BUILD_MS = 20 * 60_000;

describe("image (real build)", () => {
  let image: ImageArtifact;
  const events: HangarEvent[] = [];

  it(
    "builds or reuses the default image",
    async () => {
      image = await ensureImage({ sink: { emit: (e) => events.push(e) } });
      const recipe = await loadRecipe();
      expect(image.id).toBe(imageId(recipe));
      expect(image.recipeHash).toBe(recipe.hash);
      const built = events.some((e) => e.type === "step" && e.step === "image.build" && e.status === "done");
      if (built) {
        // A real build shows mmdebstrap's lines and timed steps.
        expect(events.some((e) => e.type === "progress" && e.step === "image.mmdebstrap")).toBe(true);
        for (const step of ["image.sshkey", "image.hostkey", "image.mmdebstrap", "image.configure", "image.mkfs"]) {
          const done = events.find((e) => e.type === "step" && e.step === step && e.status === "done");
          expect(done && done.type === "step" ? done.elapsedMs : undefined, step).toBeTypeOf("number");
        }
        expect((await stat(join(image.dir, "build.log"))).size).toBeGreaterThan(1000);
      }
    },
    BUILD_MS,
  );

  it("has the files a guest boots from", async () => {
    for (const p of [image.rootfs, image.kernel, image.initrd, image.sshKey, image.sshPubKey]) {
      expect((await stat(p)).isFile(), p).toBe(true);
    }
    expect((await stat(image.rootfs)).size).toBe(image.sizeBytes);
    expect(image.sizeBytes).toBeGreaterThan(256 * 1024 * 1024);
    expect((await stat(image.kernel)).size).toBeGreaterThan(1024 * 1024);
    expect((await stat(image.sshKey)).mode & 0o777).toBe(0o600);
    expect(await readFile(image.sshPubKey, "utf8")).toMatch(/^ssh-ed25519 \S+/);
    // The guest's host key is pinned: hangar refuses a guest that shows another.
    expect(image.hostKey).toMatch(/^ssh-ed25519 [A-Za-z0-9+/]+={0,3}$/);
    expect((await readFile(image.hostKeyFile, "utf8")).trim()).toContain(image.hostKey);
    expect(image.kernelVersion).toMatch(/^\d+\.\d+\.\d+-\d+-cloud-amd64$/);
    expect(Array.isArray(image.bootArgs)).toBe(true);
    expect(image.kernelConfig).toBeDefined();
    const config = await readFile(image.kernelConfig!, "utf8");
    expect(config).toMatch(/^CONFIG_EXT4_FS=y$/m);
    const meta = JSON.parse(await readFile(join(image.dir, "image.json"), "utf8")) as { id: string };
    expect(meta.id).toBe(image.id);
  });

  it("is an ext4 image whose root holds the key, the marker helper and the config", async () => {
    const r = await execa("dumpe2fs", ["-h", image.rootfs], { timeout: 30_000, reject: false });
    expect(r.stdout).toMatch(/Filesystem volume name:\s+hangar-root/);
    const cat = async (path: string) =>
      (await execa("debugfs", ["-R", `cat ${path}`, image.rootfs], { timeout: 30_000, stripFinalNewline: false })).stdout;
    expect((await cat("/root/.ssh/authorized_keys")).trim()).toBe((await readFile(image.sshPubKey, "utf8")).trim());
    expect(await cat("/usr/local/sbin/hangar-mark")).toContain("/dev/kmsg");
    expect(await cat("/etc/fstab")).toMatch(/^\/dev\/vda\s+\/\s+ext4/m);
    expect(await cat("/etc/ssh/ssh_host_ed25519_key.pub")).toMatch(/^ssh-ed25519 /);
    const stat = (await execa("debugfs", ["-R", "stat /usr/local/sbin/hangar-mark", image.rootfs], { timeout: 30_000 })).stdout;
    expect(stat).toMatch(/Mode:\s+0755/);
    expect(stat).toMatch(/User:\s+0\s+Group:\s+0/);
  });

  it("is a fast cache hit the second time", async () => {
    const t0 = Date.now();
    const again = await ensureImage({ sink: { emit: () => {} } });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(again).toEqual(image);
    expect((await listImages()).map((a) => a.id)).toContain(image.id);
  });

  it(
    "fails clearly when mmdebstrap fails, keeping the log and no half-built image",
    async () => {
      const tmp = await mkdtemp(join(tmpdir(), "hangar-badrecipe-"));
      const saved = { recipes: process.env.HANGAR_RECIPES, cache: process.env.HANGAR_CACHE };
      try {
        await cp(join(recipesRoot(), DEFAULT_RECIPE), join(tmp, "recipes", "broken"), { recursive: true });
        await appendFile(join(tmp, "recipes", "broken", "packages.txt"), "hangar-no-such-package\n");
        process.env.HANGAR_RECIPES = join(tmp, "recipes");
        process.env.HANGAR_CACHE = join(tmp, "cache");
        const err = await ensureImage({ recipe: "broken", sink: { emit: () => {} } }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ImageBuildError);
        const e = err as ImageBuildError;
        expect(e.message).toMatch(/^mmdebstrap exited with status \d+; last lines of .*\.build\.log:/);
        expect(e.message).toContain("hangar-no-such-package");
        expect(e.logPath && (await readFile(e.logPath, "utf8"))).toContain("hangar-no-such-package");
        const left = await readdir(join(tmp, "cache", "images"));
        expect(left.filter((n) => !n.endsWith(".build.log"))).toEqual([]);
      } finally {
        if (saved.recipes === undefined) delete process.env.HANGAR_RECIPES;
        else process.env.HANGAR_RECIPES = saved.recipes;
        if (saved.cache === undefined) delete process.env.HANGAR_CACHE;
        else process.env.HANGAR_CACHE = saved.cache;
        await rm(tmp, { recursive: true, force: true });
      }
    },
    5 * 60_000,
  );
});
