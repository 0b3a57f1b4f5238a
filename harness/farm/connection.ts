/**
 * Where the farm's Redis is and how to reach it: `--redis redis://[:PASSWORD@]HOST[:PORT][/DB]`
 * (`rediss://` for TLS), the password also from $HANGAR_REDIS_PASSWORD (so it is not on the
 * command line), TLS files from options. Every connection hangar opens has a connect deadline
 * and bounded reconnect backoff; the checks here have deadlines of their own.
 */
import { readFileSync } from "node:fs";
import { Redis, type RedisOptions } from "ioredis";
import { EXIT, HangarError, UserInputError, errorMessage, withDeadline } from "../common/index.ts";

export interface RedisTlsOptions {
  /** PEM file of the CA that signed the server's certificate (default: the system's CAs). */
  ca?: string;
  /** Client certificate and key (PEM), when the server asks for one. */
  cert?: string;
  key?: string;
}

/** A parsed --redis URL. `display` never shows the password. */
export interface RedisTarget {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls?: RedisTlsOptions;
  display: string;
}

/** Redis cannot be reached, refused the password, or is too old: infrastructure, exit 3. */
export class RedisUnreachableError extends HangarError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, EXIT.infra, options);
  }
}

/**
 * Parse `--redis URL`. The password comes from the URL or, when the URL has none, from
 * $HANGAR_REDIS_PASSWORD. `tls` options imply TLS; `rediss://` asks for it with the system CAs.
 */
export function parseRedisUrl(url: string, o: { tls?: RedisTlsOptions; env?: NodeJS.ProcessEnv } = {}): RedisTarget {
  const env = o.env ?? process.env;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UserInputError(`--redis ${JSON.stringify(url)}: expected a URL such as redis://:PASSWORD@HOST:6379 (or rediss:// for TLS)`);
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") {
    throw new UserInputError(`--redis: expected the scheme redis:// or rediss://, got "${u.protocol}//"`);
  }
  if (!u.hostname) throw new UserInputError(`--redis: expected a host, as in redis://:PASSWORD@HOST:6379`);
  const port = u.port ? Number(u.port) : 6379;
  const dbText = u.pathname.replace(/^\//, "");
  const db = dbText ? Number(dbText) : 0;
  if (!Number.isInteger(db) || db < 0 || db > 15) throw new UserInputError(`--redis: expected a database number 0-15 after the port, got "/${dbText}"`);
  const password = u.password ? decodeURIComponent(u.password) : env.HANGAR_REDIS_PASSWORD || undefined;
  const username = u.username ? decodeURIComponent(u.username) : undefined;
  const wantsTls = u.protocol === "rediss:" || !!(o.tls?.ca || o.tls?.cert || o.tls?.key);
  if (!!o.tls?.cert !== !!o.tls?.key) throw new UserInputError(`--redis-tls-cert and --redis-tls-key: expected both or neither`);
  const host = u.hostname.replace(/^\[|\]$/g, "");
  return {
    host,
    port,
    db,
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    ...(wantsTls ? { tls: { ...o.tls } } : {}),
    display: `${wantsTls ? "rediss" : "redis"}://${password ? ":***@" : ""}${u.host}${db ? `/${db}` : ""}`,
  };
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new UserInputError(`${what} ${path}: cannot read: ${errorMessage(err)}`);
  }
}

/** ioredis options for a target: connect deadline, bounded backoff, never an endless per-command retry. */
export function redisOptions(t: RedisTarget, o: { name: string; connectTimeoutMs?: number }): RedisOptions {
  return {
    host: t.host,
    port: t.port,
    db: t.db,
    ...(t.username ? { username: t.username } : {}),
    ...(t.password ? { password: t.password } : {}),
    ...(t.tls
      ? {
          tls: {
            servername: t.host,
            ...(t.tls.ca ? { ca: readPem(t.tls.ca, "--redis-tls-ca") } : {}),
            ...(t.tls.cert ? { cert: readPem(t.tls.cert, "--redis-tls-cert") } : {}),
            ...(t.tls.key ? { key: readPem(t.tls.key, "--redis-tls-key") } : {}),
          },
        }
      : {}),
    connectionName: o.name,
    connectTimeout: o.connectTimeoutMs ?? 5_000,
    // BullMQ's blocking connections need null here; hangar bounds every wait itself (withDeadline).
    maxRetriesPerRequest: null,
    // Reconnect with backoff up to 2 s: a restarted Redis is found again quickly.
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2_000),
    lazyConnect: true,
  };
}

/** An ioredis client that is connected (within its deadline) and logs nothing on its own. */
export async function connectRedis(t: RedisTarget, o: { name: string; deadlineMs?: number; onError?: (err: Error) => void }): Promise<Redis> {
  const deadlineMs = o.deadlineMs ?? 10_000;
  const client = new Redis(redisOptions(t, { name: o.name, connectTimeoutMs: Math.min(deadlineMs, 5_000) }));
  let last: Error | undefined;
  // Without a listener ioredis prints every reconnect error; the caller decides what to say.
  client.on("error", (err: Error) => {
    last = err;
    o.onError?.(err);
  });
  try {
    // The first connection gets one try (no retry loop behind it): a wrong host fails now.
    await withDeadline(client.connect(), deadlineMs, `connecting to Redis at ${t.display}`);
    await withDeadline(client.ping(), deadlineMs, `Redis PING at ${t.display}`);
    return client;
  } catch (err) {
    client.disconnect();
    throw new RedisUnreachableError(describeRedisError(t, last ?? err), { cause: err });
  }
}

/** A clear sentence about a Redis failure, with the fix when it is a known one. The password is never shown. */
export function describeRedisError(t: RedisTarget, err: unknown): string {
  const msg = errorMessage(err).replaceAll(t.password ?? "\0", "***");
  let hint = "";
  if (/ECONNREFUSED/.test(msg)) hint = " (nothing listens there: is redis-server running, and bound to an address this machine reaches?)";
  else if (/NOAUTH|WRONGPASS|invalid password|invalid username-password/i.test(msg)) hint = t.password ? " (the password was refused)" : " (Redis wants a password: redis://:PASSWORD@HOST:PORT or $HANGAR_REDIS_PASSWORD)";
  else if (/ENOTFOUND|EAI_AGAIN/.test(msg)) hint = " (the host name does not resolve)";
  else if (/certificate|SSL|TLS|EPROTO/i.test(msg)) hint = " (TLS failed: check --redis-tls-ca, or use redis:// for a server without TLS)";
  else if (/no answer within/.test(msg)) hint = " (no answer: a firewall, or a TLS/plain mismatch?)";
  return `Redis at ${t.display} is unreachable: ${msg}${hint}`;
}

/** Close a client within a deadline: QUIT when connected, else drop the socket. Never throws. */
export async function closeRedis(client: Redis, deadlineMs = 3_000): Promise<void> {
  try {
    if (client.status === "ready") await withDeadline(client.quit(), deadlineMs, "Redis QUIT");
  } catch {
    /* dropped below */
  }
  client.disconnect();
}

/** Connect, check the server (PING, version ≥ 6.2 for BullMQ) and close: the first thing a farm command does. */
export async function checkRedis(t: RedisTarget, deadlineMs = 10_000): Promise<{ version: string }> {
  const client = await connectRedis(t, { name: "hangar:check", deadlineMs });
  try {
    const info = await withDeadline(client.info("server"), deadlineMs, `Redis INFO at ${t.display}`).catch((err: unknown) => {
      throw new RedisUnreachableError(describeRedisError(t, err), { cause: err });
    });
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? "unknown";
    const [major = 0, minor = 0] = version.split(".").map(Number);
    if (major < 6 || (major === 6 && minor < 2)) throw new RedisUnreachableError(`Redis at ${t.display} is version ${version}; the farm (BullMQ) needs 6.2 or later`);
    return { version };
  } finally {
    await closeRedis(client);
  }
}
