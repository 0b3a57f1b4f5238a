/**
 * What goes over the wire, without Redis: every real scenario file (scaled as a suite scales
 * it) encodes to a document the scenario schema parses back to the same scenario; a log flood
 * comes back capped with its head and tail; --redis URLs parse or say what was expected.
 */
import { mkdtemp, rm, writeFile, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exitCodeOf, repoRoot } from "../../../harness/common/index.ts";
import { loadScenario, loadSuite, scaleDurations } from "../../../harness/config/index.ts";
import { fromWireScenario, toWireScenario } from "../../../harness/farm/scenario-wire.ts";
import { jobDataSchema, jobResultSchema } from "../../../harness/farm/job.ts";
import { packAttemptFiles, unpackAttemptFiles } from "../../../harness/farm/pack-logs.ts";
import { parseRedisUrl } from "../../../harness/farm/connection.ts";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "hangar-wire-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("scenario on the wire", () => {
  it("every scenario of the default suite, at time factors 1, 0.2 and 3, parses back to itself with the same schema", async () => {
    // The default suite names every scenario file of workloads/.
    const files = (await loadSuite(join(repoRoot, "workloads", "default.yaml"))).scenarios;
    let n = 0;
    for (const f of files) {
      const base = await loadScenario(f);
      for (const factor of [1, 0.2, 3]) {
        const sc = scaleDurations(base, factor);
        const wire = toWireScenario(sc);
        // What a worker does: the JSON as Redis carries it, re-validated.
        const back = await fromWireScenario(JSON.parse(JSON.stringify(wire)), { checkHost: false });
        expect(back, `${f} × ${factor}`).toEqual(JSON.parse(JSON.stringify(sc)));
        n++;
      }
    }
    expect(n).toBeGreaterThanOrEqual(24);
  });

  it("a document changed in transit, or one the schema refuses, is a usage error naming the scenario and field", async () => {
    const sc = await loadScenario(join(repoRoot, "workloads", "selftest-clean.yaml"));
    const wire = toWireScenario(sc);
    const tampered = { ...wire, input: { ...(wire.input as object), cooldown: "1h" } };
    await expect(fromWireScenario(tampered)).rejects.toThrow(/selftest-clean .*sha256 does not match/);
    const bad = { ...wire, input: { ...(wire.input as object), guest: { memory: "lots" } } };
    const { createHash } = await import("node:crypto");
    bad.sha256 = createHash("sha256").update(JSON.stringify(bad.input)).digest("hex");
    const err = await fromWireScenario(bad).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/selftest-clean .*guest\.memory: expected a size/);
    expect(exitCodeOf(err)).toBe(2);
  });

  it("a job with a host path or an unknown field is refused by the job schema", () => {
    const ok = { format: 1, runId: "r1", scenario: { name: "s", file: "/x.yaml", input: {}, sha256: "0".repeat(64) }, attempt: 1, kernel: { source: "image" }, imageId: "img", tries: 3, logCapBytes: 1 << 20 };
    expect(jobDataSchema.safeParse(ok).success).toBe(true);
    expect(jobDataSchema.safeParse({ ...ok, command: "rm -rf /" }).success).toBe(false);
    expect(jobDataSchema.safeParse({ ...ok, kernel: { source: "path", id: "../../etc", sha256: "0".repeat(64) } }).success).toBe(false);
    const res = { format: 1, worker: "w", result: { scenario: "s", attempt: 1, verdict: "clean", reports: [], phases: [], storage: [], steps: [], startedAt: "", durationMs: 1 }, files: [{ name: "../escape", gz: "", bytes: 0, cutBytes: 0 }], earlier: [] };
    expect(jobResultSchema.safeParse(res).success).toBe(false);
  });
});

describe("logs on the wire", () => {
  it("a console flood beyond the cap keeps its head and tail and says how much was cut; small files come back whole", async () => {
    const dir = join(root, "attempt");
    const { mkdir } = await import("node:fs/promises");
    await mkdir(dir, { recursive: true });
    const lines = Array.from({ length: 200_000 }, (_, i) => `[${i}] flood line ${i}`);
    lines[0] = "Linux version 6.12.0 (boot)";
    lines.push("INFO: task dd:123 blocked for more than 30 seconds.");
    await writeFile(join(dir, "console.log"), lines.join("\n") + "\n");
    await writeFile(join(dir, "verdict.json"), '{"verdict":"reproduced"}\n');
    await writeFile(join(dir, "disk-scratch.img"), "not sent");
    const cap = 256 * 1024;
    const packed = await packAttemptFiles(dir, cap);
    expect(packed.map((p) => p.name).sort()).toEqual(["console.log", "verdict.json"]);
    const con = packed.find((p) => p.name === "console.log")!;
    expect(con.cutBytes).toBeGreaterThan(4_000_000);
    expect(Buffer.from(con.gz, "base64").length).toBeLessThan(cap);
    const out = join(root, "collected");
    await unpackAttemptFiles(packed, out, cap);
    const text = await readFile(join(out, "console.log"), "utf8");
    expect(text.length).toBeLessThanOrEqual(cap + 200);
    expect(text.startsWith("Linux version 6.12.0 (boot)")).toBe(true);
    expect(text).toMatch(/\[hangar farm: \d+ bytes of this log were cut here/);
    expect(text.trimEnd().endsWith("blocked for more than 30 seconds.")).toBe(true);
    // The tail starts on a line boundary.
    expect(text.split("cut here")[1]!.split("\n")[1]).toMatch(/^\[\d+\] flood line \d+$/);
    expect(await readFile(join(out, "verdict.json"), "utf8")).toBe('{"verdict":"reproduced"}\n');
    expect(gunzipSync(Buffer.from(packed.find((p) => p.name === "verdict.json")!.gz, "base64")).toString()).toContain("reproduced");
  });

  it("a packed file that inflates beyond the cap (a gzip bomb) is refused", async () => {
    const { gzipSync } = await import("node:zlib");
    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024));
    await expect(unpackAttemptFiles([{ name: "console.log", gz: bomb.toString("base64"), bytes: 1, cutBytes: 0 }], join(root, "bomb"), 64 * 1024)).rejects.toThrow(/buffer|length|larger/i);
  });
});

describe("--redis URL", () => {
  it("parses host, port, db, password (or $HANGAR_REDIS_PASSWORD) and TLS, and never shows the password", () => {
    const t = parseRedisUrl("redis://:s3cret@10.0.0.5:6380/2", { env: {} });
    expect(t).toMatchObject({ host: "10.0.0.5", port: 6380, db: 2, password: "s3cret", display: "redis://:***@10.0.0.5:6380/2" });
    expect(t.tls).toBeUndefined();
    expect(parseRedisUrl("redis://farm", { env: { HANGAR_REDIS_PASSWORD: "fromenv" } })).toMatchObject({ host: "farm", port: 6379, password: "fromenv" });
    expect(parseRedisUrl("rediss://:p@farm:6390", { env: {} }).tls).toEqual({});
    expect(parseRedisUrl("redis://farm", { env: {}, tls: { ca: "/ca.pem" } }).tls).toEqual({ ca: "/ca.pem" });
  });

  it("a bad URL is exit 2 with what was expected", () => {
    for (const [url, msg] of [
      ["farm:6379", /expected the scheme redis:\/\/ or rediss:\/\//],
      ["http://farm", /expected the scheme redis:\/\//],
      ["not a url", /expected a URL such as redis:\/\/:PASSWORD@HOST:6379/],
      ["redis://farm/99", /expected a database number 0-15/],
    ] as const) {
      let err: unknown;
      try {
        parseRedisUrl(url, { env: {} });
      } catch (e) {
        err = e;
      }
      expect((err as Error).message, url).toMatch(msg);
      expect(exitCodeOf(err)).toBe(2);
    }
    expect(() => parseRedisUrl("redis://farm", { env: {}, tls: { cert: "/c.pem" } })).toThrow(/--redis-tls-cert and --redis-tls-key: expected both or neither/);
  });
});
