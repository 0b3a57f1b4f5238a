/**
 * Image recipes: a folder under vm-images/ with a recipe.json, a package list, mmdebstrap
 * hooks and an overlay tree. Pure except for reading the recipe folder.
 */
import { createHash } from "node:crypto";
import { readFile, readdir, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { z } from "zod";
import { repoRoot } from "../common/index.ts";
import { UserInputError } from "../common/errors.ts";

/**
 * Bumped whenever the builder changes what it produces from the same recipe (files
 * extracted, mkfs options, key handling...). Part of every recipe hash.
 */
export const BUILDER_VERSION = "hangar-image-builder/2";

export const DEFAULT_RECIPE = "debian-bookworm";

/** Where recipes live: <repo>/vm-images, overridable for tests and experiments. */
export function recipesRoot(): string {
  return process.env.HANGAR_RECIPES ?? join(repoRoot, "vm-images");
}

export const RecipeSchema = z
  .object({
    description: z.string().optional(),
    suite: z.string().regex(/^[a-z0-9.-]+$/, "a Debian suite name such as bookworm"),
    variant: z.enum(["extract", "custom", "essential", "apt", "required", "minbase", "buildd", "important", "debootstrap", "standard"]).default("apt"),
    architecture: z.string().regex(/^[a-z0-9]+$/).default("amd64"),
    mirrors: z.array(z.string().min(1)).min(1),
    packagesFile: z.string().default("packages.txt"),
    aptOptions: z.array(z.string()).default([]),
    dpkgOptions: z.array(z.string()).default([]),
    hooksDir: z.string().optional(),
    imageSizeMiB: z.number().int().min(256).max(1024 * 1024).default(4096),
    bootArgs: z.array(z.string()).default([]),
  })
  .strict();

export type RecipeSpec = z.infer<typeof RecipeSchema>;

export interface Recipe extends RecipeSpec {
  name: string;
  /** Absolute path of the recipe folder. */
  dir: string;
  /** Packages from packagesFile (comments and blank lines removed). */
  packages: string[];
  /** Absolute path of the hooks folder, if any. */
  hooksPath?: string;
  /** sha256 over every file of the recipe folder and BUILDER_VERSION. */
  hash: string;
}

/** An unknown recipe or a bad recipe folder: a configuration error (exit 2). */
export class RecipeError extends UserInputError {}

const NAME_RE = /^[a-z0-9][a-z0-9._-]*$/;

export function validateRecipeName(name: string): void {
  if (!NAME_RE.test(name) || name.includes("..")) {
    throw new RecipeError(`invalid recipe name ${JSON.stringify(name)}: use lower-case letters, digits, '.', '_' and '-' (a folder of vm-images/)`);
  }
}

/** Parse a package list: one package per line, '#' comments, blank lines ignored. */
export function parsePackageList(text: string, file = "packages.txt"): string[] {
  const out: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, "").trim();
    if (!line) return;
    if (!/^[a-z0-9][a-z0-9+.-]*(:[a-z0-9]+)?$/.test(line)) {
      throw new RecipeError(`${file}:${i + 1}: not a Debian package name: ${JSON.stringify(line)}`);
    }
    out.push(line);
  });
  if (out.length === 0) throw new RecipeError(`${file}: lists no packages`);
  return [...new Set(out)];
}

/** Every regular file below `dir`, as sorted POSIX-style relative paths. Symlinks are listed too. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string): Promise<void> {
    const entries = await readdir(d, { withFileTypes: true });
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(relative(dir, p).split(sep).join("/"));
    }
  }
  await walk(dir);
  return out.sort();
}

/**
 * Hash of a recipe folder: every file's relative path, executable bit and contents, plus
 * the builder version. Stable across checkouts (no mtimes, no absolute paths).
 */
export async function hashRecipeDir(dir: string, builderVersion = BUILDER_VERSION): Promise<string> {
  const h = createHash("sha256");
  h.update(`builder\0${builderVersion}\0`);
  for (const rel of await listFiles(dir)) {
    const p = join(dir, rel);
    const st = await stat(p);
    const data = await readFile(p);
    h.update(`file\0${rel}\0${st.mode & 0o111 ? "x" : "-"}\0${data.length}\0`);
    h.update(data);
  }
  return h.digest("hex");
}

/** Load and validate a recipe by name. Errors name the file (and field) at fault. */
export async function loadRecipe(name: string = DEFAULT_RECIPE, root: string = recipesRoot()): Promise<Recipe> {
  validateRecipeName(name);
  const dir = join(root, name);
  const file = join(dir, "recipe.json");
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") {
      let known: string[] = [];
      try {
        for (const e of await readdir(root, { withFileTypes: true })) {
          if (e.isDirectory() && (await stat(join(root, e.name, "recipe.json")).catch(() => undefined))) known.push(e.name);
        }
      } catch {
        /* no recipes folder at all */
      }
      const hint = known.length ? ` (recipes found: ${known.sort().join(", ")})` : "";
      throw new RecipeError(`recipe ${JSON.stringify(name)} not found: ${file} does not exist${hint}`);
    }
    throw new RecipeError(`recipe ${JSON.stringify(name)}: cannot read ${file}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new RecipeError(`${file}: invalid JSON: ${(err as Error).message}`);
  }
  const parsed = RecipeSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(top level)"}: ${i.message}`).join("; ");
    throw new RecipeError(`${file}: ${issues}`);
  }
  const spec = parsed.data;
  for (const [field, rel] of [["packagesFile", spec.packagesFile], ["hooksDir", spec.hooksDir]] as const) {
    if (rel !== undefined && (rel.startsWith("/") || rel.split(/[\\/]/).includes(".."))) {
      throw new RecipeError(`${file}: ${field}: must be a path inside the recipe folder, got ${JSON.stringify(rel)}`);
    }
  }
  const pkgFile = join(dir, spec.packagesFile);
  let pkgText: string;
  try {
    pkgText = await readFile(pkgFile, "utf8");
  } catch {
    throw new RecipeError(`${file}: packagesFile: cannot read ${pkgFile}`);
  }
  const packages = parsePackageList(pkgText, pkgFile);
  let hooksPath: string | undefined;
  if (spec.hooksDir !== undefined) {
    hooksPath = join(dir, spec.hooksDir);
    const st = await stat(hooksPath).catch(() => undefined);
    if (!st?.isDirectory()) throw new RecipeError(`${file}: hooksDir: ${hooksPath} is not a directory`);
    for (const f of await readdir(hooksPath)) {
      if (!/^(setup|extract|essential|customize)/.test(f)) continue;
      const fst = await stat(join(hooksPath, f));
      if (fst.isFile() && !(fst.mode & 0o100)) {
        throw new RecipeError(`${join(hooksPath, f)}: hook script is not executable (mmdebstrap would skip it): chmod +x it`);
      }
    }
  }
  const hash = await hashRecipeDir(dir);
  return { ...spec, name, dir, packages, ...(hooksPath ? { hooksPath } : {}), hash };
}

/** Image id: recipe name plus the first 12 hex digits of the recipe hash. */
export function imageId(recipe: Pick<Recipe, "name" | "hash">): string {
  return `${recipe.name}-${recipe.hash.slice(0, 12)}`;
}

/** mmdebstrap's argument vector for a recipe (no shell involved). */
export function mmdebstrapArgs(recipe: Recipe, target: string): string[] {
  const args = [
    `--variant=${recipe.variant}`,
    `--architectures=${recipe.architecture}`,
    "--mode=root",
    "--format=directory",
    "--verbose",
  ];
  for (const o of recipe.aptOptions) args.push(`--aptopt=${o}`);
  for (const o of recipe.dpkgOptions) args.push(`--dpkgopt=${o}`);
  if (recipe.hooksPath) args.push(`--hook-dir=${recipe.hooksPath}`);
  args.push(`--include=${recipe.packages.join(",")}`);
  args.push(recipe.suite, target, ...recipe.mirrors);
  return args;
}
