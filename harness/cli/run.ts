import { join, relative } from "node:path";
import type { Command } from "commander";
import { EventBus, guarded, repoRoot, resultsDir, formatMs } from "../common/index.ts";
import { ResultStore, type RunSummary } from "../results/index.ts";
import { prepareBoot, runSuite } from "../run/index.ts";
import { checkRedis, farmRunStore, resumeFarmRun, runSuiteOnFarm } from "../farm/index.ts";
import { redisCliOptions, redisTarget, type RedisCliOptions } from "./farm.ts";
import { ensureHost } from "./host-requirements.ts";
import { attachRenderer } from "./render.ts";
import { loadTargets } from "./load-targets.ts";
import { parseAccel, parsePositiveInt, timeFactorOption, UsageError } from "./args.ts";

export const DEFAULT_SUITE = join(repoRoot, "workloads", "default.yaml");

type RunCliOptions = Partial<RedisCliOptions> & {
  resume?: string;
  attempts?: number;
  timeFactor?: number;
  accel: "auto" | "kvm" | "tcg";
  kernel?: string;
  results: string;
  jobs: number;
  json?: boolean;
  verbose?: boolean;
};

export function registerRun(program: Command): void {
  const run = program
    .command("run")
    .description("run scenarios or suites in real QEMU guests and judge each against its expected signatures")
    .argument("[files...]", "scenario or suite YAML files", [DEFAULT_SUITE])
    .option("-n, --attempts <n>", "attempts per scenario (overrides the scenario's own)", parsePositiveInt)
    .option("--time-factor <f>", "multiply every workload duration (0.1: a quick pass; default: the suite's time_factor, else 1; at most 100)", timeFactorOption)
    .option("--accel <mode>", "accelerator: auto (probe KVM with a real boot, fall back to TCG), kvm or tcg", parseAccel, "auto")
    .option("--kernel <path|id>", "boot this bzImage, or this built kernel (id or unique prefix from `hangar kernel list`), instead of the image's Debian kernel (no initrd)")
    .option("--results <dir>", "results root directory", resultsDir())
    .option("-j, --jobs <n>", "guests at once (default 1; 2 cores starve more)", parsePositiveInt, 1)
    .option("--json", "print the run summary as JSON on stdout")
    .option("-v, --verbose", "show debug messages and every progress line")
    .option("--resume <run-id>", "with --redis: collect a farm run whose coordinator stopped (its jobs went on running on the workers)");
  redisCliOptions(run, { required: false }).action(async (files: string[], opts: RunCliOptions) => {
      // --redis: the attempts run on a farm's workers (docs/farm.md); Redis is checked before anything is enqueued.
      const target = opts.redis ? redisTarget(opts as RedisCliOptions) : undefined;
      if (opts.resume && !target) throw new UsageError("--resume: expected --redis URL as well (it resumes a farm run)");
      if (target) await checkRedis(target);
      if (target && opts.resume) {
        const store = await farmRunStore(opts.results, opts.resume);
        const bus = new EventBus();
        attachRenderer(bus, { verbose: !!opts.verbose });
        await store.init(bus);
        const summary = await guarded((signal) => resumeFarmRun({ target, store, sink: bus, signal }));
        finish(summary, opts);
        return;
      }
      // Validate every file before anything slow happens: a bad field is exit 2 at once.
      const { suite, scenarios } = await loadTargets(files, opts.timeFactor ? { timeFactor: opts.timeFactor } : {});
      const bus = new EventBus();
      attachRenderer(bus, { verbose: !!opts.verbose });
      const missing = await ensureHost(true, (l) => bus.emit({ type: "progress", step: "host.install", message: l }));
      if (missing.length) throw new Error(`host requirements missing: ${missing.map((m) => m.pkg).join(", ")} (see hangar doctor)`);
      const store = new ResultStore(opts.results);
      await store.init(bus);
      bus.emit({ type: "log", level: "info", message: `run ${store.runId}: ${scenarios.length} scenario(s) → ${store.dir}` });
      const plan = await prepareBoot({ sink: bus, accel: opts.accel, ...(opts.kernel ? { kernelPath: opts.kernel } : {}) });
      bus.emit({ type: "log", level: "info", message: `kernel ${plan.kernel.version ?? plan.kernel.kernel} (${plan.kernel.source}), image ${plan.image.id}, accel ${plan.accel}` });
      // Ctrl-C / SIGTERM: nothing new starts, running guests are torn down, the summary (marked
      // interrupted) is written, then hangar exits 130 / 143.
      const summary = await guarded((signal) =>
        target
          ? runSuiteOnFarm({ target, suite, scenarios, plan, store, sink: bus, attempts: opts.attempts, signal, accel: opts.accel, ...(opts.timeFactor ? { timeFactor: opts.timeFactor } : {}) })
          : runSuite({ suite, scenarios, plan, store, sink: bus, jobs: opts.jobs, attempts: opts.attempts, signal }),
      );
      finish(summary, opts);
    });
}

function finish(summary: RunSummary, opts: { json?: boolean }): void {
  if (opts.json) process.stdout.write(JSON.stringify(summary, null, 2) + "\n");
  else printSummary(summary);
  process.exitCode = summary.exitCode;
}

export function printSummary(s: RunSummary): void {
  const rel = (p: string) => relative(process.cwd(), p) || ".";
  const lines: string[] = [];
  lines.push("", `hangar run ${s.runId} — kernel ${s.kernel.version ?? s.kernel.path} (${s.kernel.source}), ${s.host.accel}`);
  for (const sc of s.scenarios) {
    const mark = sc.outcome === "skipped" ? "SKIP" : sc.met ? "PASS" : sc.outcome === "infra" ? "INFRA" : "FAIL";
    const rate = sc.rate ? `  rate ${sc.rate.k}/${sc.rate.n} [${(sc.rate.low * 100).toFixed(0)}–${(sc.rate.high * 100).toFixed(0)}%]` : "";
    lines.push(`${mark.padEnd(5)} ${sc.name}: ${sc.outcome} (expected ${sc.expected})${rate}  ${formatMs(sc.durationMs)}`);
    if (sc.reason) lines.push(`      ${sc.reason}`);
    for (const a of sc.attempts) {
      lines.push(`      #${a.attempt} ${a.verdict}${a.reason ? ` — ${a.reason}` : ""}`);
      for (const f of a.bootFailures ?? []) lines.push(`         booted afresh after: ${f}`);
      for (const r of a.reports) lines.push(`         ${r.kind}: ${r.title}${r.count > 1 ? ` (×${r.count})` : ""}`);
      for (const l of a.storage ?? []) lines.push(`         storage ${l}`);
      if (a.pressure) lines.push(`         pressure${a.pressure.asked ? "" : " (none asked)"}: ${a.pressure.summary}`);
      // A kernel that could not serve the scenario was never booted: no logs to point at.
      if (a.verdict !== "skipped" || a.bootMs !== undefined) lines.push(`         logs: ${rel(join(a.dir, "console.log"))}  ${rel(join(a.dir, "dmesg.log"))}`);
    }
  }
  lines.push(`results: ${rel(s.dir)}/summary.json  junit.xml  report.html`, `exit ${s.exitCode}`);
  process.stdout.write(lines.join("\n") + "\n");
}

export { UsageError };
