import { join, relative } from "node:path";
import { InvalidArgumentError, type Command } from "commander";
import { EventBus, HangarError, repoRoot, resultsDir, UserInputError } from "../common/index.ts";
import { checkNightlyInputs, DEFAULT_ALPHA, parseJobs, parseKernelSpecs, runNightly, type NightSummary } from "../nightly/index.ts";
import { checkRedis, openFarmExecutor, type FarmExecutor } from "../farm/index.ts";
import { redisCliOptions, redisTarget, type RedisCliOptions } from "./farm.ts";
import { ensureHost } from "./host-requirements.ts";
import { attachRenderer } from "./render.ts";
import { loadTargets } from "./load-targets.ts";
import { parseAccel, parsePositiveInt, parsePositiveNumber } from "./args.ts";

export const DEFAULT_NIGHTLY_SUITE = join(repoRoot, "workloads", "nightly.yaml");

function parseAlpha(v: string): number {
  const n = Number(v);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError(`expected a significance level between 0 and 1 (e.g. 0.05), got "${v}"`);
  return n;
}

/**
 * `--on-regression CMD [ARGS...]` takes the rest of the command line, options included (a mailer's
 * `-s SUBJECT`). Commander stops a variadic option at the first word that looks like an option and
 * (with allowUnknownOption) hands the rest to the files: take those back from the raw argv. Any other
 * word among the files that looks like an option is a usage error, as commander would say.
 */
export function splitHook(files: string[], fromOption: string[] | undefined, argv: readonly string[]): { files: string[]; hook?: string[] } {
  let at = argv.length - 1;
  while (at >= 0 && argv[at] !== "--on-regression" && !argv[at]!.startsWith("--on-regression=")) at--;
  let rest = files;
  let hook: string[] | undefined;
  if (fromOption?.length && at >= 0) {
    const inline = argv[at]!.startsWith("--on-regression=") ? [argv[at]!.slice("--on-regression=".length)] : [];
    hook = [...inline, ...argv.slice(at + 1)];
    const spilled = hook.length - fromOption.length;
    if (spilled > 0) rest = files.slice(0, files.length - spilled);
  }
  const bad = rest.find((f) => f.startsWith("-"));
  if (bad) throw new UserInputError(`unknown option '${bad}' (see hangar nightly --help)`);
  return { files: rest.length ? rest : [DEFAULT_NIGHTLY_SUITE], ...(hook ? { hook } : {}) };
}

type NightlyCliOptions = Partial<RedisCliOptions> & {
  kernel: string[];
  baseline: string;
  knownIssues?: string;
  results: string;
  jobs: number | "auto";
  timeFactor?: number;
  attempts?: number;
  accel: "auto" | "kvm" | "tcg";
  alpha: number;
  onRegression?: string[];
  json?: boolean;
  verbose?: boolean;
};

export function registerNightly(program: Command): void {
  const nightly = program
    .command("nightly")
    .description("nightly regression run: every scenario on every kernel, compared with the previous night; exit 0 no regression, 1 regression, 3 infrastructure")
    .argument("[files...]", "scenario or suite YAML files", [DEFAULT_NIGHTLY_SUITE])
    .option("--kernel <spec>", "a kernel to test (repeatable): debian, a built kernel id, a bzImage, git:DIR@REV (built first), or NAME=<any of these>", (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option("--baseline <run>", "night to compare with: latest (none yet is a first night), none, or a run id", "latest")
    .option("--known-issues <file>", "known issues YAML (see docs/nightly.md)")
    .option("--results <dir>", "results root directory (nights, history.jsonl, index.html)", resultsDir())
    .option("-j, --jobs <n|auto>", "guests at once; auto: from free memory and cores", parseJobs, 1 as number | "auto")
    .option("--time-factor <f>", "multiply every workload duration (default: the suite's time_factor, else 1)", parsePositiveNumber)
    .option("-n, --attempts <n>", "attempts per scenario (overrides the scenarios' and the suite's)", parsePositiveInt)
    .option("--accel <mode>", "accelerator: auto, kvm or tcg", parseAccel, "auto")
    .option("--alpha <p>", "significance level of the rate tests", parseAlpha, DEFAULT_ALPHA)
    .option("--on-regression <cmd...>", "after a regression run CMD [ARGS...] with nightly.json's path appended (no shell); takes the rest of the line, so put it last")
    .option("--json", "print nightly.json on stdout")
    .option("-v, --verbose", "show debug messages and every progress line")
    .allowUnknownOption();
  redisCliOptions(nightly, { required: false }).action(async (given: string[], opts: NightlyCliOptions) => {
      const { files, hook: onRegression } = splitHook(given, opts.onRegression, process.argv);
      const kernels = parseKernelSpecs(opts.kernel);
      const { suite, scenarios } = await loadTargets(files, opts.timeFactor ? { timeFactor: opts.timeFactor } : {});
      const bus = new EventBus();
      attachRenderer(bus, { verbose: !!opts.verbose });
      const inputs = await checkNightlyInputs({
        results: opts.results,
        baseline: opts.baseline,
        ...(opts.knownIssues ? { knownIssues: opts.knownIssues } : {}),
        warn: (message) => bus.emit({ type: "log", level: "warn", message }),
      });
      // --redis: every attempt of the matrix is a job on the farm (docs/farm.md); Redis is checked before any kernel is built or anything enqueued.
      const target = opts.redis ? redisTarget(opts as RedisCliOptions) : undefined;
      if (target) await checkRedis(target);
      const missing = await ensureHost(true, (l) => bus.emit({ type: "progress", step: "host.install", message: l }));
      if (missing.length) throw new HangarError(`host requirements missing: ${missing.map((m) => m.pkg).join(", ")} (see hangar doctor)`);
      let farm: FarmExecutor | undefined;
      if (target) {
        farm = await openFarmExecutor({ target, sink: bus, root: opts.results, accel: opts.accel, ...(opts.timeFactor ? { timeFactor: opts.timeFactor } : {}) });
      }
      const night = runNightly({
        suite,
        scenarios,
        kernels,
        results: opts.results,
        // On the farm every attempt is queued at once (attempt-major); the workers' slots decide how many run.
        jobs: farm ? Infinity : opts.jobs,
        ...(farm ? { executor: farm.execute } : {}),
        ...(opts.attempts ? { attempts: opts.attempts } : {}),
        accel: opts.accel,
        inputs,
        alpha: opts.alpha,
        ...(onRegression?.length ? { onRegression } : {}),
        bus,
      });
      // The night is written: its jobs leave Redis (a night is never resumed).
      const { summary, hook } = farm ? await night.finally(() => farm.close({ removeCollected: true })) : await night;
      if (opts.json) process.stdout.write(JSON.stringify(summary, null, 2) + "\n");
      else printNight(summary, hook?.error);
      process.exitCode = summary.exitCode;
      },
    );
}

const MARK: Record<string, string> = { regression: "REGR", fixed: "FIXED", "flaky-known": "KNOWN", unchanged: "OK", infra: "INFRA", skipped: "SKIP", first: "FIRST" };

export function printNight(n: NightSummary, hookError?: string): void {
  const rel = (p: string) => relative(process.cwd(), p) || ".";
  const lines = ["", `hangar nightly ${n.runId} — ${n.kernels.length} kernel(s), baseline ${n.baseline ?? "none (first night)"}`];
  for (const k of n.kernels) {
    lines.push(`kernel ${k.key}${k.version ? ` (${k.version})` : ""}${k.error ? ` — NOT PREPARED: ${k.error}` : ""}`);
    for (const c of n.cells.filter((x) => x.kernel === k.key)) {
      lines.push(`  ${(MARK[c.state] ?? c.state).padEnd(5)} ${c.scenario}: ${c.cell.reported}/${c.cell.judged} with reports${c.cell.infra ? `, ${c.cell.infra} infra` : ""}`);
      lines.push(`        ${c.reason}`);
      for (const x of c.changes.filter((y) => y.change !== "unchanged" && y.change !== "seen")) {
      lines.push(`        ${x.change.padEnd(4)} ${x.title}  ${x.base.hits}/${x.base.n} → ${x.cur.hits}/${x.cur.n}  p=${x.p.toPrecision(3)}  [${x.signature}]`);
      }
    }
  }
  for (const w of n.knownIssues.warnings) lines.push(`warning: ${w}`);
  for (const m of n.knownIssues.maybeFixed) lines.push(`maybe fixed: ${m.id} (${m.bug}) not seen for ${m.nights} night(s)`);
  if (hookError) lines.push(`warning: --on-regression: ${hookError}`);
  lines.push(`results: ${rel(n.dir)}/night.html  nightly.json  junit.xml  · history: ${rel(join(n.dir, ".."))}/index.html`, `exit ${n.exitCode}`);
  process.stdout.write(lines.join("\n") + "\n");
}
