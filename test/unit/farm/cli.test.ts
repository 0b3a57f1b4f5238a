/**
 * `hangar farm status` and `hangar worker` as a user runs them (the real CLI, a real
 * redis-server): exit codes and messages for a bad URL or an unreachable Redis, and the
 * status of a live worker.
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, withDeadline } from "../../../harness/common/index.ts";
import { commit, initRepo } from "../bisect/git-fixture.ts";
import { spawnWorker } from "./fixtures.ts";
import { freePort, startRedis, type TestRedis } from "./redis-server.ts";

const hangar = (args: string[], env: Record<string, string> = {}) => execa(join(repoRoot, "hangar"), args, { reject: false, timeout: 120_000, env });
let redis: TestRedis;
let root: string;
beforeAll(async () => {
  redis = await startRedis();
  root = await mkdtemp(join(tmpdir(), "hangar-farm-cli-"));
});
afterAll(async () => {
  await redis?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

describe("hangar farm status / hangar worker", () => {
  it("a URL that is not redis:// is exit 2; an unreachable Redis is exit 3, said clearly, for both commands", async () => {
    const bad = await hangar(["farm", "status", "--redis", "http://127.0.0.1:6379"]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/--redis: expected the scheme redis:\/\/ or rediss:\/\//);
    const port = await freePort();
    for (const cmd of [["farm", "status"], ["worker"]]) {
      const r = await hangar([...cmd, "--redis", `redis://127.0.0.1:${port}`]);
      expect(r.exitCode, r.stderr).toBe(3);
      expect(r.stderr).toMatch(new RegExp(`Redis at redis://127\\.0\\.0\\.1:${port} is unreachable: .*ECONNREFUSED`));
    }
    // The password from the environment, refused: said so, never printed.
    const wrong = await hangar(["farm", "status", "--redis", `redis://127.0.0.1:${redis.port}`], { HANGAR_REDIS_PASSWORD: "wrong-one" });
    expect(wrong.exitCode).toBe(3);
    expect(wrong.stderr).toMatch(/the password was refused/);
    expect(wrong.stderr).not.toContain("wrong-one");
  }, 300_000);

  it("status lists a live worker with its slots, and the queue", async () => {
    const w = spawnWorker({ url: redis.url, name: "cli-w1", cache: join(root, "cache"), slots: 2 });
    try {
      for (let t0 = Date.now(); !w.output().includes("ready"); await new Promise((r) => setTimeout(r, 100))) {
        if (Date.now() - t0 > 90_000) throw new Error(`worker not ready: ${w.output()}`);
      }
      const r = await hangar(["farm", "status", "--redis", `redis://127.0.0.1:${redis.port}`], { HANGAR_REDIS_PASSWORD: redis.password });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/farm redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ \(Redis 7\./);
      expect(r.stdout).toMatch(/workers: 1, slots 0\/2 busy/);
      expect(r.stdout).toMatch(/cli-w1 +0\/2 busy/);
      expect(r.stdout).toMatch(/queue: 0 queued/);
      const j = await hangar(["farm", "status", "--json", "--redis", redis.url]);
      expect(JSON.parse(j.stdout).workers[0]).toMatchObject({ name: "cli-w1", slots: 2, running: [] });
    } finally {
      w.proc.kill("SIGTERM");
      await withDeadline(w.proc, 30_000, "worker exit").catch(() => w.proc.kill("SIGKILL"));
    }
    // Stopped with SIGTERM: it left the farm at once (not after its record expired).
    const after = await hangar(["farm", "status", "--json", "--redis", redis.url]);
    expect(JSON.parse(after.stdout).workers).toEqual([]);
  }, 300_000);

  it("nightly --redis and bisect --redis: an unreachable Redis is exit 3, said clearly, before any kernel, night or ledger exists", async () => {
    const port = await freePort();
    const url = `redis://:secret-pw@127.0.0.1:${port}`;
    const results = join(root, "unreachable-results");
    const night = await hangar(["nightly", join(repoRoot, "workloads/selftest-clean.yaml"), "--results", results, "--redis", url]);
    expect(night.exitCode, night.stderr).toBe(3);
    expect(night.stderr).toMatch(new RegExp(`Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port} is unreachable: .*ECONNREFUSED`));
    expect(night.stderr).not.toContain("secret-pw");
    const repo = join(root, "repo");
    await initRepo(repo);
    const good = await commit(repo, "good", { a: "1" });
    const bad = await commit(repo, "bad", { a: "2" });
    const bisect = await hangar(["bisect", "--git", repo, "--good", good, "--bad", bad, "--results", results, "--redis", url, join(repoRoot, "workloads/selftest-hung-task.yaml")]);
    expect(bisect.exitCode, bisect.stderr).toBe(3);
    expect(bisect.stderr).toMatch(/is unreachable: .*ECONNREFUSED/);
    // Nothing was started: no night folder, no bisect ledger.
    expect(await readdir(results).catch(() => [])).toEqual([]);
  }, 300_000);
});

