/**
 * A real redis-server for farm tests: a free 127.0.0.1 port, a temporary directory,
 * a password, append-only persistence (so a restart keeps every job). Always stop it.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { freePort } from "../../../harness/vm/ports.ts";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { execa, type ResultPromise } from "execa";
import { withDeadline } from "../../../harness/common/index.ts";

export interface TestRedis {
  port: number;
  password: string;
  dir: string;
  /** redis://:PASSWORD@127.0.0.1:PORT */
  url: string;
  /** Kill the server (SIGKILL: nothing flushed beyond what append-only already wrote) and start it again on the same port and directory. */
  restart(o?: { downMs?: number }): Promise<void>;
  stop(): Promise<void>;
  /** Stop without starting again (for "Redis gone" cases); restart() brings it back. */
  kill(): Promise<void>;
}

/** A port nobody listens on right now (the kernel picks it): the one the guests use. */
export { freePort };

async function waitReady(port: number, password: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await execa("redis-cli", ["-h", "127.0.0.1", "-p", String(port), "--no-auth-warning", "-a", password, "ping"], { reject: false, timeout: 2_000 });
    if (r.stdout.trim() === "PONG") return;
    if (Date.now() > deadline) throw new Error(`redis-server on 127.0.0.1:${port} not ready within 10 s: ${r.stderr || r.stdout}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

export async function startRedis(): Promise<TestRedis> {
  const dir = await mkdtemp(join(tmpdir(), "hangar-redis-"));
  const port = await freePort();
  const password = randomBytes(12).toString("hex");
  let proc: ResultPromise | undefined;
  const launch = async () => {
    proc = execa(
      "redis-server",
      ["--bind", "127.0.0.1", "--port", String(port), "--dir", dir, "--requirepass", password, "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no", "--protected-mode", "yes", "--loglevel", "warning"],
      { reject: false, stdio: "ignore", cleanup: true },
    );
    await waitReady(port, password);
  };
  const kill = async () => {
    if (!proc) return;
    const p = proc;
    proc = undefined;
    p.kill("SIGKILL");
    await withDeadline(p, 10_000, "redis-server exit");
  };
  await launch();
  return {
    port,
    password,
    dir,
    url: `redis://:${password}@127.0.0.1:${port}`,
    async restart(o = {}) {
      await kill();
      if (o.downMs) await new Promise((res) => setTimeout(res, o.downMs));
      await launch();
    },
    kill,
    async stop() {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
