/**
 * Kernel artifacts on the farm. The coordinator publishes each kernel it needs (bzImage, its
 * config, its test modules) into Redis under the sha256 of a manifest listing every file's
 * sha256; a worker fetches it once into its cache (<cache>/farm/kernels/<sha256>/), checks
 * every hash, and checks them again before each boot. A file that does not match is never booted.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Redis } from "ioredis";
import { z } from "zod";
import { EXIT, HangarError, cacheDir, withDeadline } from "../common/index.ts";
import type { KernelArtifact } from "../kernel/index.ts";
import type { KernelRef } from "./job.ts";

/** Published kernels stay this long after their last publication. */
const ARTIFACT_TTL_S = 14 * 24 * 3600;
/** One Redis round trip of an artifact (a bzImage is ~10-15 MiB). */
const TRANSFER_MS = 120_000;

export const artifactKey = (sha: string) => `hangar:farm:kernel:${sha}`;

const manifestSchema = z
  .object({
    format: z.literal(1),
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
    version: z.string().max(200).optional(),
    files: z
      .array(
        z
          .object({
            // bzImage, config, or modules/<module>.ko: nothing else is ever written.
            name: z.string().regex(/^(bzImage|config|modules\/[a-z0-9][a-z0-9_]{0,54}\.ko)$/),
            sha256: z.string().regex(/^[0-9a-f]{64}$/),
            bytes: z.number().int().min(0),
          })
          .strict(),
      )
      .min(1)
      .max(64),
  })
  .strict();
type Manifest = z.infer<typeof manifestSchema>;

/** A kernel artifact that failed its checks, or could not be fetched: infra (the job is retried). */
export class ArtifactError extends HangarError {
  constructor(message: string) {
    super(message, EXIT.infra);
  }
}

const sha256 = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");

/**
 * Publish the plan's kernel (nothing for the image's own kernel: workers build the same image).
 * Idempotent: an artifact already in Redis is only given a new expiry.
 */
export async function publishKernel(redis: Redis, k: KernelArtifact): Promise<KernelRef> {
  if (k.source === "image") return { source: "image" };
  const files: { name: string; data: Buffer }[] = [{ name: "bzImage", data: await readFile(k.kernel) }];
  if (k.config) files.push({ name: "config", data: await readFile(k.config) });
  for (const [mod, path] of Object.entries(k.modules ?? {}).sort(([a], [b]) => a.localeCompare(b))) files.push({ name: `modules/${mod}.ko`, data: await readFile(path) });
  const id = k.id ?? `bzimage-${sha256(files[0]!.data).slice(0, 12)}`;
  const manifest: Manifest = { format: 1, id, ...(k.version ? { version: k.version } : {}), files: files.map((f) => ({ name: f.name, sha256: sha256(f.data), bytes: f.data.length })) };
  manifestSchema.parse(manifest);
  const text = JSON.stringify(manifest);
  const sha = sha256(text);
  const key = artifactKey(sha);
  const have = await withDeadline(redis.hexists(key, "manifest"), TRANSFER_MS, "Redis HEXISTS");
  if (!have) {
    for (const f of files) await withDeadline(redis.hset(key, `file:${f.name}`, f.data), TRANSFER_MS, `publishing ${f.name} of kernel ${id}`);
    // The manifest last: a half-published artifact is never taken for a whole one.
    await withDeadline(redis.hset(key, "manifest", text), TRANSFER_MS, "Redis HSET");
  }
  await withDeadline(redis.expire(key, ARTIFACT_TTL_S), TRANSFER_MS, "Redis EXPIRE");
  return { source: k.source, id, sha256: sha, ...(k.version ? { version: k.version } : {}) };
}

/** A fetched kernel: absolute paths in the worker's cache, every file's hash checked. */
export interface FetchedKernel {
  dir: string;
  kernel: string;
  config?: string;
  modules: Record<string, string>;
  version?: string;
  id: string;
}

export function farmKernelsDir(): string {
  return join(cacheDir(), "farm", "kernels");
}

function layout(dir: string, m: Manifest): FetchedKernel {
  const modules: Record<string, string> = {};
  for (const f of m.files) {
    const mod = /^modules\/(.+)\.ko$/.exec(f.name)?.[1];
    if (mod) modules[mod] = join(dir, f.name);
  }
  return {
    dir,
    id: m.id,
    kernel: join(dir, "bzImage"),
    ...(m.files.some((f) => f.name === "config") ? { config: join(dir, "config") } : {}),
    modules,
    ...(m.version ? { version: m.version } : {}),
  };
}

/** Check every file of a cached artifact against the manifest (which is checked against the ref). */
async function verifyCached(dir: string, ref: Extract<KernelRef, { sha256: string }>): Promise<FetchedKernel | undefined> {
  const text = await readFile(join(dir, "manifest.json"), "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  if (sha256(text) !== ref.sha256) throw new ArtifactError(`kernel ${ref.id}: cached manifest ${dir}/manifest.json does not match sha256 ${ref.sha256}`);
  const m = manifestSchema.parse(JSON.parse(text));
  for (const f of m.files) {
    const data = await readFile(join(dir, f.name)).catch(() => undefined);
    if (!data || data.length !== f.bytes || sha256(data) !== f.sha256) throw new ArtifactError(`kernel ${ref.id}: ${join(dir, f.name)} does not match its sha256 (changed since it was fetched)`);
  }
  return layout(dir, m);
}

/**
 * The kernel of a job, from this worker's cache or fetched from Redis, every file verified.
 * Throws ArtifactError when Redis does not have it or a hash does not match.
 */
export async function fetchKernel(redis: Redis, ref: Extract<KernelRef, { sha256: string }>): Promise<FetchedKernel> {
  const dir = join(farmKernelsDir(), ref.sha256);
  const cached = await verifyCached(dir, ref).catch(async (err: unknown) => {
    // A damaged cache entry is fetched again, once.
    await rm(dir, { recursive: true, force: true });
    if (!(err instanceof ArtifactError)) throw err;
    return undefined;
  });
  if (cached) return cached;
  const key = artifactKey(ref.sha256);
  const manifestBuf = await withDeadline(redis.hgetBuffer(key, "manifest"), TRANSFER_MS, `fetching the manifest of kernel ${ref.id}`);
  if (!manifestBuf) throw new ArtifactError(`kernel ${ref.id} (sha256 ${ref.sha256.slice(0, 12)}…) is not in Redis (expired, or published to another Redis?)`);
  const text = manifestBuf.toString("utf8");
  if (sha256(text) !== ref.sha256) throw new ArtifactError(`kernel ${ref.id}: the manifest in Redis does not match sha256 ${ref.sha256}`);
  const parsed = manifestSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new ArtifactError(`kernel ${ref.id}: the manifest in Redis is not valid: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
  const m = parsed.data;
  const tmp = `${dir}.tmp-${randomBytes(4).toString("hex")}`;
  try {
    await mkdir(join(tmp, "modules"), { recursive: true });
    for (const f of m.files) {
      const data = await withDeadline(redis.hgetBuffer(key, `file:${f.name}`), TRANSFER_MS, `fetching ${f.name} of kernel ${ref.id}`);
      if (!data) throw new ArtifactError(`kernel ${ref.id}: ${f.name} is missing from Redis`);
      if (data.length !== f.bytes || sha256(data) !== f.sha256) throw new ArtifactError(`kernel ${ref.id}: ${f.name} from Redis does not match its sha256 (${data.length} bytes, expected ${f.bytes})`);
      await writeFile(join(tmp, f.name), data);
    }
    await writeFile(join(tmp, "manifest.json"), text);
    await mkdir(farmKernelsDir(), { recursive: true });
    // Another worker process may have put it in place meanwhile: then theirs is verified and used.
    await rename(tmp, dir).catch(async (err: NodeJS.ErrnoException) => {
      if (!(await stat(dir).catch(() => undefined))) throw err;
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  const got = await verifyCached(dir, ref);
  if (!got) throw new ArtifactError(`kernel ${ref.id}: ${dir} is incomplete after fetching`);
  return got;
}
