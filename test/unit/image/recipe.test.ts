import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { mkdtemp, mkdir, writeFile, rm, chmod, cp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BUILDER_VERSION,
  DEFAULT_RECIPE,
  RecipeError,
  hashRecipeDir,
  imageId,
  loadRecipe,
  mmdebstrapArgs,
  parsePackageList,
  recipesRoot,
  validateRecipeName,
} from "../../../harness/image/recipe.ts";

let root: string;

async function makeRecipe(name: string, recipe: object, packages = "systemd-sysv\nopenssh-server\n"): Promise<string> {
  const dir = join(root, name);
  await mkdir(join(dir, "hooks"), { recursive: true });
  await writeFile(join(dir, "recipe.json"), JSON.stringify(recipe));
  await writeFile(join(dir, "packages.txt"), packages);
  await writeFile(join(dir, "hooks", "customize10.sh"), "#!/bin/sh\ntrue\n");
  await chmod(join(dir, "hooks", "customize10.sh"), 0o755);
  return dir;
}

const base = { suite: "bookworm", mirrors: ["deb http://deb.debian.org/debian bookworm main"], hooksDir: "hooks" };

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "hangar-recipe-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("recipe hashing", () => {
  it("is stable for the same contents, wherever the folder is", async () => {
    const a = await makeRecipe("a", base);
    const b = await makeRecipe("b", base);
    const h1 = await hashRecipeDir(a);
    expect(h1).toMatch(/^[0-9a-f]{64}$/);
    expect(await hashRecipeDir(a)).toBe(h1);
    expect(await hashRecipeDir(b)).toBe(h1);
  });

  it("changes when any file changes, is added, or loses its executable bit", async () => {
    const a = await makeRecipe("a", base);
    const h0 = await hashRecipeDir(a);
    await writeFile(join(a, "packages.txt"), "systemd-sysv\nopenssh-server\nfio\n");
    const h1 = await hashRecipeDir(a);
    expect(h1).not.toBe(h0);
    await mkdir(join(a, "overlay", "etc"), { recursive: true });
    await writeFile(join(a, "overlay", "etc", "hostname"), "x\n");
    const h2 = await hashRecipeDir(a);
    expect(h2).not.toBe(h1);
    await chmod(join(a, "hooks", "customize10.sh"), 0o644);
    expect(await hashRecipeDir(a)).not.toBe(h2);
  });

  it("does not confuse a file's name with its contents", async () => {
    const a = join(root, "x");
    const b = join(root, "y");
    await mkdir(a);
    await mkdir(b);
    await writeFile(join(a, "ab"), "c");
    await writeFile(join(b, "a"), "bc");
    expect(await hashRecipeDir(a)).not.toBe(await hashRecipeDir(b));
  });

  it("includes the builder version", async () => {
    const a = await makeRecipe("a", base);
    expect(await hashRecipeDir(a, BUILDER_VERSION)).not.toBe(await hashRecipeDir(a, BUILDER_VERSION + "-next"));
  });

  it("gives the image id from the name and 12 hex digits", () => {
    expect(imageId({ name: "debian-bookworm", hash: "0123456789abcdef0123" })).toBe("debian-bookworm-0123456789ab");
  });
});

describe("recipe loading", () => {
  it("loads a valid recipe with defaults", async () => {
    await makeRecipe("ok", base, "# comment\n\nsystemd-sysv  # init\nfio\nfio\n");
    const r = await loadRecipe("ok", root);
    expect(r.name).toBe("ok");
    expect(r.packages).toEqual(["systemd-sysv", "fio"]);
    expect(r.variant).toBe("apt");
    expect(r.imageSizeMiB).toBe(4096);
    expect(r.bootArgs).toEqual([]);
    expect(r.hooksPath).toBe(join(root, "ok", "hooks"));
    expect(r.hash).toBe(await hashRecipeDir(join(root, "ok")));
  });

  it("names the missing path and the recipes that exist", async () => {
    await makeRecipe("debian-bookworm", base);
    const err = await loadRecipe("nope", root).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RecipeError);
    expect((err as Error).message).toContain(join(root, "nope", "recipe.json"));
    expect((err as Error).message).toContain("debian-bookworm");
  });

  it("rejects names that could leave vm-images/", async () => {
    for (const bad of ["../etc", "a/b", "", "UPPER", ".hidden"]) {
      expect(() => validateRecipeName(bad)).toThrow(RecipeError);
    }
    await expect(loadRecipe("../x", root)).rejects.toThrow(/invalid recipe name/);
  });

  it("names the file and field of a bad recipe.json", async () => {
    await makeRecipe("bad", { ...base, mirrors: [], imageSizeMiB: "big" });
    const err = (await loadRecipe("bad", root).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(RecipeError);
    expect(err.message).toContain(join(root, "bad", "recipe.json"));
    expect(err.message).toMatch(/mirrors/);
    expect(err.message).toMatch(/imageSizeMiB/);
  });

  it("rejects unknown fields, invalid JSON and paths leaving the recipe folder", async () => {
    await makeRecipe("extra", { ...base, pakages: [] });
    await expect(loadRecipe("extra", root)).rejects.toThrow(/pakages|Unrecognized/i);
    const dir = await makeRecipe("json", base);
    await writeFile(join(dir, "recipe.json"), "{ nope");
    await expect(loadRecipe("json", root)).rejects.toThrow(/invalid JSON/);
    await makeRecipe("escape", { ...base, packagesFile: "../other/packages.txt" });
    await expect(loadRecipe("escape", root)).rejects.toThrow(/packagesFile/);
  });

  it("refuses a hook script that mmdebstrap would silently skip", async () => {
    const dir = await makeRecipe("hook", base);
    await chmod(join(dir, "hooks", "customize10.sh"), 0o644);
    await expect(loadRecipe("hook", root)).rejects.toThrow(/not executable/);
  });

  it("rejects bad package names with file and line", () => {
    expect(() => parsePackageList("fio\nrm -rf /\n", "p.txt")).toThrow(/p\.txt:2/);
    expect(() => parsePackageList("# only comments\n", "p.txt")).toThrow(/no packages/);
    expect(parsePackageList("libc6:amd64\ng++\n")).toEqual(["libc6:amd64", "g++"]);
  });
});

describe("mmdebstrap arguments", () => {
  it("is an argument vector with the target and mirrors last", async () => {
    await makeRecipe("ok", { ...base, aptOptions: ['Apt::Install-Recommends "false"'], dpkgOptions: ["path-exclude=/usr/share/man/*"] });
    const r = await loadRecipe("ok", root);
    const args = mmdebstrapArgs(r, "/tmp/t/root");
    expect(args).toContain("--variant=apt");
    expect(args).toContain("--mode=root");
    expect(args).toContain('--aptopt=Apt::Install-Recommends "false"');
    expect(args).toContain("--dpkgopt=path-exclude=/usr/share/man/*");
    expect(args).toContain(`--hook-dir=${join(root, "ok", "hooks")}`);
    expect(args).toContain("--include=systemd-sysv,openssh-server");
    expect(args.slice(-3)).toEqual(["bookworm", "/tmp/t/root", "deb http://deb.debian.org/debian bookworm main"]);
  });
});

describe("the shipped recipe", () => {
  it("loads and lists the packages the harness relies on", async () => {
    const r = await loadRecipe(DEFAULT_RECIPE, recipesRoot());
    for (const p of ["systemd-sysv", "udev", "openssh-server", "xfsprogs", "btrfs-progs", "nfs-kernel-server", "nfs-common", "stress-ng", "fio", "fsmark", "util-linux", "procps", "kmod", "iproute2", "dmsetup", "thin-provisioning-tools", "psmisc", "trace-cmd", "linux-image-cloud-amd64", "initramfs-tools", "e2fsprogs"]) {
      expect(r.packages).toContain(p);
    }
  });

  it("hashes the same from a copy of the folder", async () => {
    const r = await loadRecipe(DEFAULT_RECIPE, recipesRoot());
    await cp(r.dir, join(root, DEFAULT_RECIPE), { recursive: true });
    expect((await loadRecipe(DEFAULT_RECIPE, root)).hash).toBe(r.hash);
  });
});
