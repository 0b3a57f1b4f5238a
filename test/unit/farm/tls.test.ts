/**
 * Redis over TLS, for real: a redis-server with a certificate signed by a CA made here
 * (openssl), reached with rediss:// and --redis-tls-ca; the wrong CA and a plain connection to
 * the TLS port fail with a message that says TLS.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exitCodeOf, withDeadline } from "../../../harness/common/index.ts";
import { checkRedis, parseRedisUrl } from "../../../harness/farm/index.ts";
import { freePort } from "./redis-server.ts";

let dir: string;
let port: number;
let server: ResultPromise | undefined;
const password = randomBytes(8).toString("hex");

const openssl = (args: string[]) => execa("openssl", args, { cwd: dir, timeout: 60_000 });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hangar-redis-tls-"));
  for (const name of ["ca", "other-ca"]) await openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.crt`, "-days", "1", "-subj", `/CN=hangar test ${name}`]);
  await openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"]);
  await writeFile(join(dir, "ext"), "subjectAltName=IP:127.0.0.1\n");
  await openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days", "1", "-extfile", "ext"]);
  port = await freePort();
  server = execa(
    "redis-server",
    ["--port", "0", "--tls-port", String(port), "--bind", "127.0.0.1", "--tls-cert-file", "server.crt", "--tls-key-file", "server.key", "--tls-ca-cert-file", "ca.crt", "--tls-auth-clients", "no", "--requirepass", password, "--dir", dir, "--save", ""],
    { cwd: dir, reject: false, stdio: "ignore", cleanup: true },
  );
  const target = parseRedisUrl(`rediss://:${password}@127.0.0.1:${port}`, { tls: { ca: join(dir, "ca.crt") } });
  for (let t0 = Date.now(); ; await new Promise((r) => setTimeout(r, 100))) {
    if (await checkRedis(target, 2_000).then(() => true, () => false)) break;
    if (Date.now() - t0 > 15_000) throw new Error("redis-server with TLS did not start");
  }
}, 90_000);

afterAll(async () => {
  server?.kill("SIGKILL");
  if (server) await withDeadline(server, 10_000, "redis-server exit").catch(() => {});
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("Redis over TLS", () => {
  it("rediss:// with the CA that signed the server's certificate connects", async () => {
    const t = parseRedisUrl(`rediss://:${password}@127.0.0.1:${port}`, { tls: { ca: join(dir, "ca.crt") } });
    expect((await checkRedis(t)).version).toMatch(/^\d+\.\d+/);
  });

  it("another CA, or a plain connection to the TLS port: exit 3, and the message says TLS", async () => {
    const wrongCa = await checkRedis(parseRedisUrl(`rediss://:${password}@127.0.0.1:${port}`, { tls: { ca: join(dir, "other-ca.crt") } }), 5_000).catch((e: unknown) => e);
    expect(exitCodeOf(wrongCa)).toBe(3);
    expect((wrongCa as Error).message).toMatch(/certificate.*TLS failed: check --redis-tls-ca/i);
    const plain = await checkRedis(parseRedisUrl(`redis://:${password}@127.0.0.1:${port}`), 3_000).catch((e: unknown) => e);
    expect(exitCodeOf(plain)).toBe(3);
    expect((plain as Error).message).toMatch(/Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ is unreachable/);
    expect((plain as Error).message).not.toContain(password);
  });

  it("a CA file that cannot be read is a usage error naming the option and the file", async () => {
    const err = await checkRedis(parseRedisUrl(`rediss://127.0.0.1:${port}`, { tls: { ca: join(dir, "missing.crt") } })).catch((e: unknown) => e);
    expect(exitCodeOf(err)).toBe(2);
    expect((err as Error).message).toMatch(/--redis-tls-ca .*missing\.crt: cannot read/);
  });
});
