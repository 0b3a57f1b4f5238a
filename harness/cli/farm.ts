import type { Command } from "commander";
import { formatMs } from "../common/index.ts";
import { checkRedis, farmStatus, parseRedisUrl, type FarmStatus, type RedisTarget } from "../farm/index.ts";

/** The options every farm command takes to reach Redis. */
export interface RedisCliOptions {
  redis: string;
  redisTlsCa?: string;
  redisTlsCert?: string;
  redisTlsKey?: string;
}

/** Add --redis and the TLS options to a command (`required`: --redis must be given). */
export function redisCliOptions(cmd: Command, o: { required: boolean }): Command {
  const url = "--redis <url>";
  const help = "the farm's Redis: redis://[:PASSWORD@]HOST[:PORT][/DB], rediss:// for TLS (password also from $HANGAR_REDIS_PASSWORD)";
  (o.required ? cmd.requiredOption(url, help) : cmd.option(url, help))
    .option("--redis-tls-ca <file>", "PEM file of the CA that signed the Redis server's certificate (implies TLS)")
    .option("--redis-tls-cert <file>", "client certificate (PEM) for Redis TLS")
    .option("--redis-tls-key <file>", "client key (PEM) for Redis TLS");
  return cmd;
}

/** The Redis target of a command's options (a bad URL is exit 2). */
export function redisTarget(o: RedisCliOptions): RedisTarget {
  return parseRedisUrl(o.redis, {
    tls: { ...(o.redisTlsCa ? { ca: o.redisTlsCa } : {}), ...(o.redisTlsCert ? { cert: o.redisTlsCert } : {}), ...(o.redisTlsKey ? { key: o.redisTlsKey } : {}) },
  });
}

export function registerFarm(program: Command): void {
  const farm = program.command("farm").description("the farm of workers on Redis (docs/farm.md)");
  redisCliOptions(
    farm.command("status").description("list the workers (slots, what each runs) and the queue").option("--json", "print the status as JSON"),
    { required: true },
  ).action(async (opts: RedisCliOptions & { json?: boolean }) => {
    const target = redisTarget(opts);
    const { version } = await checkRedis(target);
    const st = await farmStatus(target);
    if (opts.json) process.stdout.write(JSON.stringify({ redisVersion: version, ...st }, null, 2) + "\n");
    else process.stdout.write(renderStatus(st, version));
  });
}

export function renderStatus(st: FarmStatus, version: string): string {
  const now = Date.now();
  const ago = (iso: string) => formatMs(Math.max(0, now - Date.parse(iso)));
  const lines = [`farm ${st.redis} (Redis ${version})`, ""];
  const slots = st.workers.reduce((n, w) => n + w.slots, 0);
  const busy = st.workers.reduce((n, w) => n + w.running.length, 0);
  lines.push(`workers: ${st.workers.length}, slots ${busy}/${slots} busy`);
  for (const w of st.workers) {
    lines.push(`  ${w.name.padEnd(28)} ${w.running.length}/${w.slots} busy  up ${ago(w.startedAt)}`);
    for (const r of w.running) lines.push(`      ${r.scenario}#${r.attempt} (${r.job}) for ${ago(r.since)}`);
  }
  const c = st.counts;
  lines.push("", `queue: ${(c.waiting ?? 0) + (c.prioritized ?? 0)} queued, ${c.delayed ?? 0} waiting to retry, ${c.active ?? 0} running, ${c.completed ?? 0} done (not yet collected), ${c.failed ?? 0} failed`);
  for (const a of st.active) lines.push(`  running  ${a.id}${a.worker ? ` on ${a.worker}` : ""}${a.phase ? `, phase ${a.phase}` : ""}${a.since ? `, for ${ago(a.since)}` : ""}`);
  for (const id of st.waiting) lines.push(`  queued   ${id}`);
  return lines.join("\n") + "\n";
}
