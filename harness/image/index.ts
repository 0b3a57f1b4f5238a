/**
 * Guest root images, built from vm-images/<recipe>/ and cached by recipe hash under
 * <cache>/images/<recipe>-<hash12>/. Guests open the image read-only (snapshot=on), so a
 * cached image never changes and any number of guests can share it.
 */
import { access, chmod, mkdir, readFile, readdir, rename, stat } from "node:fs/promises";
import { constants } from "node:fs";
import { join } from "node:path";
import { cacheDir, errorMessage, timedStep, writeJsonAtomic, type EventSink } from "../common/index.ts";
import { DEFAULT_RECIPE, imageId, loadRecipe, type Recipe } from "./recipe.ts";
import { FILES, ImageBuildError, buildInto, makeWorkDir, moveIntoPlace, removeBuildDir, removeLeftovers } from "./build.ts";
import { parseHostKey } from "./host-key.ts";
import { withLock } from "../common/lock.ts";

export { DEFAULT_RECIPE, BUILDER_VERSION, RecipeError, loadRecipe, hashRecipeDir, imageId, recipesRoot } from "./recipe.ts";
export type { Recipe } from "./recipe.ts";
export { ImageBuildError } from "./build.ts";
export { hostKeyMatches, hostKeyType, parseHostKey } from "./host-key.ts";

export interface ImageArtifact {
  id: string; // e.g. "debian-bookworm-<hash12>"
  dir: string; // cache dir of this image
  rootfs: string; // raw ext4 image path
  kernel: string;
  initrd: string;
  kernelVersion: string; // extracted for direct boot
  sshKey: string;
  sshPubKey: string; // key pair for root (private mode 0600)
  /**
   * The guest's SSH host key, pinned at build: "ssh-ed25519 <base64>" (type and key as in a
   * .pub file, no comment). The guest offers no other host key.
   */
  hostKey: string;
  hostKeyFile: string; // the .pub file holding it
  bootArgs: string[]; // recommended extra kernel cmdline args for this image
  recipe: string;
  recipeHash: string;
  builtAt: string;
  sizeBytes: number;
  kernelConfig?: string; // path to the extracted /boot/config-* of the image kernel
}

/** How long a second build of the same image waits for the first one. */
export const LOCK_WAIT_MS = 60 * 60_000;

export function imagesDir(): string {
  return join(cacheDir(), "images");
}

/** What image.json holds: the artifact with paths relative to the image folder. */
interface ImageMeta {
  format: 2;
  id: string;
  recipe: string;
  recipeHash: string;
  builtAt: string;
  sizeBytes: number;
  kernelVersion: string;
  bootArgs: string[];
  hostKey: string;
  files: { rootfs: string; kernel: string; initrd: string; sshKey: string; sshPubKey: string; hostKey: string; kernelConfig?: string };
}

function toArtifact(dir: string, m: ImageMeta): ImageArtifact {
  return {
    id: m.id,
    dir,
    rootfs: join(dir, m.files.rootfs),
    kernel: join(dir, m.files.kernel),
    initrd: join(dir, m.files.initrd),
    kernelVersion: m.kernelVersion,
    sshKey: join(dir, m.files.sshKey),
    sshPubKey: join(dir, m.files.sshPubKey),
    hostKey: m.hostKey,
    hostKeyFile: join(dir, m.files.hostKey),
    bootArgs: [...m.bootArgs],
    recipe: m.recipe,
    recipeHash: m.recipeHash,
    builtAt: m.builtAt,
    sizeBytes: m.sizeBytes,
    ...(m.files.kernelConfig ? { kernelConfig: join(dir, m.files.kernelConfig) } : {}),
  };
}

/**
 * Read a complete image folder, or undefined when it is missing, half-built or damaged.
 * Paths come from where the folder is now (the cache can move).
 */
export async function readImage(dir: string): Promise<ImageArtifact | undefined> {
  let m: ImageMeta;
  try {
    m = JSON.parse(await readFile(join(dir, FILES.meta), "utf8")) as ImageMeta;
  } catch {
    return undefined;
  }
  // Format 1 images (before host-key pinning) are not used: their host key is unknown.
  if (m?.format !== 2 || typeof m.id !== "string" || !m.files || typeof m.files.hostKey !== "string") return undefined;
  const a = toArtifact(dir, m);
  try {
    for (const p of [a.rootfs, a.kernel, a.initrd, a.sshKey, a.sshPubKey]) await access(p, constants.R_OK);
    // The key in image.json must be the one the build stored (a damaged or edited folder is rebuilt).
    if (parseHostKey(await readFile(a.hostKeyFile, "utf8")) !== a.hostKey) return undefined;
  } catch {
    return undefined;
  }
  return a;
}

/**
 * The image for a recipe: from the cache when its recipe hash matches, else built (once,
 * even when several callers ask at the same time).
 */
export async function ensureImage(opts: { recipe?: string; sink: EventSink; rebuild?: boolean; signal?: AbortSignal }): Promise<ImageArtifact> {
  const { sink, signal } = opts;
  const asked = Date.now();
  const recipe = await loadRecipe(opts.recipe ?? DEFAULT_RECIPE);
  const id = imageId(recipe);
  const images = imagesDir();
  const dir = join(images, id);

  // A cache hit only reads: a read-only cache with a warm image still runs.
  if (!opts.rebuild) {
    const hit = await readImage(dir);
    if (hit) {
      sink.emit({ type: "log", level: "debug", message: `image ${id}: cached in ${dir}` });
      return hit;
    }
  }

  await makePrivateDirs(images);
  return withLock(join(images, `${id}.lock`), { deadlineMs: LOCK_WAIT_MS, sink, step: "image.build", what: `image build ${id}`, ...(signal ? { signal } : {}) }, async () => {
    // Someone may have built it while we waited for the lock.
    const now = await readImage(dir);
    if (now && (!opts.rebuild || Date.parse(now.builtAt) >= asked)) return now;
    return build(recipe, images, dir, sink, signal);
  });
}

/** The cache and its images folder, 0700 (images hold the guests' private host keys). Before a build only. */
async function makePrivateDirs(images: string): Promise<void> {
  await mkdir(images, { recursive: true, mode: 0o700 });
  await chmod(cacheDir(), 0o700);
  await chmod(images, 0o700);
}

async function build(recipe: Recipe, images: string, dir: string, sink: EventSink, signal?: AbortSignal): Promise<ImageArtifact> {
  const id = imageId(recipe);
  const logPath = join(images, `${id}.build.log`);
  await removeLeftovers(images, id, sink);
  return timedStep(
    sink,
    "image.build",
    async () => {
      const work = await makeWorkDir(images, id);
      try {
        const built = await buildInto(work, recipe, { sink, logPath, ...(signal ? { signal } : {}) });
        const meta: ImageMeta = {
          format: 2,
          id,
          recipe: recipe.name,
          recipeHash: recipe.hash,
          builtAt: new Date().toISOString(),
          sizeBytes: built.sizeBytes,
          kernelVersion: built.kernelVersion,
          bootArgs: recipe.bootArgs,
          hostKey: built.hostKey,
          files: {
            rootfs: FILES.rootfs,
            kernel: FILES.kernel,
            initrd: FILES.initrd,
            sshKey: FILES.sshKey,
            sshPubKey: FILES.sshPubKey,
            hostKey: FILES.hostKey,
            ...((await stat(join(work, FILES.kernelConfig)).catch(() => undefined)) ? { kernelConfig: FILES.kernelConfig } : {}),
          },
        };
        await moveIntoPlace(work, dir);
        await rename(logPath, join(dir, FILES.log)).then(() => chmod(join(dir, FILES.log), 0o600)).catch(() => undefined);
        // Last, and atomically: a folder without image.json is never taken for a complete image.
        await writeJsonAtomic(join(dir, FILES.meta), meta, { mode: 0o600 });
        const a = await readImage(dir);
        if (!a) throw new ImageBuildError(`image ${id}: built, but ${dir} does not read back as complete`);
        sink.emit({ type: "log", level: "info", message: `image ${id}: ${dir} (kernel ${a.kernelVersion})` });
        return a;
      } catch (err) {
        await removeBuildDir(work).catch((e) => sink.emit({ type: "log", level: "warn", message: `could not clean ${work}: ${errorMessage(e)}` }));
        throw err;
      }
    },
    `${id} from ${recipe.dir}`,
  );
}

/** Every complete image in the cache, newest first. */
export async function listImages(): Promise<ImageArtifact[]> {
  let names: string[];
  try {
    names = await readdir(imagesDir());
  } catch {
    return [];
  }
  const out: ImageArtifact[] = [];
  for (const n of names) {
    if (n.startsWith(".") || n.includes(".old-") || n.endsWith(".lock") || n.endsWith(".log")) continue;
    const a = await readImage(join(imagesDir(), n));
    if (a) out.push(a);
  }
  return out.sort((x, y) => y.builtAt.localeCompare(x.builtAt));
}

/** The folder where a recipe's image is (or would be) cached; does not build. */
export async function imagePath(recipe: string = DEFAULT_RECIPE): Promise<{ dir: string; built: boolean; id: string }> {
  const r = await loadRecipe(recipe);
  const id = imageId(r);
  const dir = join(imagesDir(), id);
  return { dir, id, built: (await readImage(dir)) !== undefined };
}
