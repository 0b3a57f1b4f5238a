/**
 * Kernel artifacts through a real redis-server: published by id and content hash, fetched
 * into a worker's cache, every file checked; a byte changed in Redis or in the cache is caught
 * before anything could boot it.
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ArtifactError, artifactKey, fetchKernel, publishKernel } from "../../../harness/farm/artifacts.ts";
import { closeRedis, connectRedis, parseRedisUrl } from "../../../harness/farm/connection.ts";
import type { KernelArtifact } from "../../../harness/kernel/index.ts";
import { startRedis, type TestRedis } from "./redis-server.ts";

let redis: TestRedis;
let client: Redis;
let root: string;
let kernel: KernelArtifact;
const savedCache = process.env.HANGAR_CACHE;

beforeAll(async () => {
  redis = await startRedis();
  client = await connectRedis(parseRedisUrl(redis.url), { name: "test" });
  root = await mkdtemp(join(tmpdir(), "hangar-artifacts-"));
  const src = join(root, "src");
  await mkdir(src, { recursive: true });
  await writeFile(join(src, "bzImage"), randomBytes(300_000));
  await writeFile(join(src, "config"), "CONFIG_LOCKDEP=y\n");
  await writeFile(join(src, "m.ko"), randomBytes(2048));
  kernel = { source: "build", kernel: join(src, "bzImage"), config: join(src, "config"), id: "abcdef012345", version: "6.12.0-t", modules: { hangar_lockdep_abba: join(src, "m.ko") } };
});
afterAll(async () => {
  if (savedCache === undefined) delete process.env.HANGAR_CACHE;
  else process.env.HANGAR_CACHE = savedCache;
  if (client) await closeRedis(client);
  await redis?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

/** A fresh worker cache. */
async function workerCache(name: string): Promise<void> {
  process.env.HANGAR_CACHE = join(root, name);
}

describe("kernel artifacts", () => {
  it("the image's own kernel is not published; a built kernel is, under its manifest's sha256, idempotently", async () => {
    expect(await publishKernel(client, { source: "image", kernel: "/x" })).toEqual({ source: "image" });
    const ref = await publishKernel(client, kernel);
    expect(ref).toMatchObject({ source: "build", id: "abcdef012345", version: "6.12.0-t" });
    expect(await publishKernel(client, kernel)).toEqual(ref);
    expect(await client.ttl(artifactKey((ref as { sha256: string }).sha256))).toBeGreaterThan(13 * 24 * 3600);
  });

  it("a worker fetches it into its cache, byte for byte, and uses the cache the next time", async () => {
    const ref = await publishKernel(client, kernel);
    if (ref.source === "image") throw new Error("unreachable");
    await workerCache("w1");
    const got = await fetchKernel(client, ref);
    expect((await readFile(got.kernel)).equals(await readFile(kernel.kernel))).toBe(true);
    expect(await readFile(got.config!, "utf8")).toBe("CONFIG_LOCKDEP=y\n");
    expect(Object.keys(got.modules)).toEqual(["hangar_lockdep_abba"]);
    // From the cache: Redis is not needed any more.
    await client.del(artifactKey(ref.sha256));
    expect((await fetchKernel(client, ref)).kernel).toBe(got.kernel);
    await client.del(artifactKey(ref.sha256));
  });

  it("a byte changed in Redis: refused, nothing left in the cache", async () => {
    const ref = await publishKernel(client, kernel);
    if (ref.source === "image") throw new Error("unreachable");
    const data = await readFile(kernel.kernel);
    data[1000] = data[1000]! ^ 0xff;
    await client.hset(artifactKey(ref.sha256), "file:bzImage", data);
    await workerCache("w2");
    const err = await fetchKernel(client, ref).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArtifactError);
    expect((err as Error).message).toMatch(/kernel abcdef012345: bzImage from Redis does not match its sha256/);
    await expect(readFile(join(root, "w2", "farm", "kernels", ref.sha256, "bzImage"))).rejects.toThrow(/ENOENT/);
    await client.del(artifactKey(ref.sha256));
  });

  it("a byte changed in the worker's cache: caught before use and fetched again", async () => {
    const ref = await publishKernel(client, kernel);
    if (ref.source === "image") throw new Error("unreachable");
    await workerCache("w3");
    const got = await fetchKernel(client, ref);
    const bad = await readFile(got.kernel);
    bad[5] = bad[5]! ^ 1;
    await writeFile(got.kernel, bad);
    const again = await fetchKernel(client, ref);
    expect((await readFile(again.kernel)).equals(await readFile(kernel.kernel))).toBe(true);
  });

  it("a kernel Redis does not have: a clear infra error", async () => {
    await workerCache("w4");
    const err = await fetchKernel(client, { source: "build", id: "feedfeedfeed", sha256: "1".repeat(64) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArtifactError);
    expect((err as Error).message).toMatch(/kernel feedfeedfeed .* is not in Redis/);
  });
});
