/**
 * `hangar bisect` (the whole search: builds, runs, ledger, report) and `hangar bisect-step`
 * (one commit's verdict as an exit code, for `git bisect run`).
 */
import { createHash } from "node:crypto";
import { realpath, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { InvalidArgumentError, type Command } from "commander";
import { checkRedis, farmStatus, openFarmExecutor, type FarmExecutor } from "../farm/index.ts";
import { redisCliOptions, redisTarget, type RedisCliOptions } from "./farm.ts";
import { EventBus, HangarError, UserInputError, errorMessage, guarded, resultsDir, shutdownSignal, writeJsonAtomic } from "../common/index.ts";
import { loadScenario, scaleDurations, type Scenario } from "../config/index.ts";
import { listKernels, parseFragmentList, readKernel, resolveIdPrefix } from "../kernel/index.ts";
import {
  DEFAULT_POLICY_OPTIONS,
  GitRepo,
  USER_POLICIES,
  appendEvent,
  attemptDir,
  bisectPage,
  buildCommit,
  buildReport,
  classifyAttempt,
  cleanRunsFor,
  kernelTester,
  ledgerWallMs,
  readLedger,
  reportText,
  runBisect,
  stepExitCode,
  stepFailureExitCode,
  stepVerdict,
  type BisectInputs,
  type CommitCounts,
  type UserPolicyName,
} from "../bisect/index.ts";
import { prepareBoot, runAttempt } from "../run/index.ts";
import { parseAccel, parsePositiveInt, parsePositiveNumber } from "./args.ts";
import { ensureHost, ensureKernelBuildHost } from "./host-requirements.ts";
import { attachRenderer } from "./render.ts";

function parsePolicy(v: string): UserPolicyName {
  if ((USER_POLICIES as readonly string[]).includes(v)) return v as UserPolicyName;
  throw new InvalidArgumentError(`expected ${USER_POLICIES.join(", ")}, got "${v}"`);
}

function parseProbability(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n >= 1) throw new InvalidArgumentError(`expected a number between 0 and 1 (exclusive), got "${v}"`);
  return n;
}

function fragmentsOption(v: string): string[] {
  try {
    return parseFragmentList(v);
  } catch (err) {
    throw new InvalidArgumentError(errorMessage(err));
  }
}

const collect = (v: string, prev: string[]) => [...prev, v];

interface KernelOpts {
  patch: string[];
  fragment?: string[];
  configFrom?: string;
}

/** The scenario (scaled), checked for something to bisect on, and the target signature when it is fixed up front. */
async function loadTarget(file: string, o: { timeFactor?: number; signature?: string }): Promise<{ scenario: Scenario; signature?: string }> {
  let scenario = await loadScenario(file);
  if (o.timeFactor) scenario = scaleDurations(scenario, o.timeFactor);
  const names = scenario.expect.signatures.map((e) => e.name);
  if (!names.length) throw new UserInputError(`${file}: expect.signatures is empty: bisect needs an expected signature to tell a bad commit (the scenario expects ${scenario.expect.outcome})`);
  if (o.signature !== undefined && !names.includes(o.signature)) {
    throw new UserInputError(`--signature ${o.signature}: ${file} has no expected signature of that name (expect.signatures: ${names.join(", ")})`);
  }
  const signature = o.signature ?? (names.length === 1 ? names[0] : undefined);
  return { scenario, ...(signature ? { signature } : {}) };
}

/** --fragment, else the fragments of the kernel --config-from names, else the scenario's. */
async function fragmentsFor(scenario: Scenario, o: KernelOpts): Promise<string[]> {
  if (o.fragment && o.configFrom) throw new UserInputError("give either --fragment or --config-from, not both");
  if (o.fragment) return o.fragment;
  if (o.configFrom) {
    const ids = (await listKernels()).map((k) => k.meta.id);
    const id = resolveIdPrefix(o.configFrom, ids);
    const k = await readKernel(id);
    if (!k) throw new UserInputError(`--config-from ${o.configFrom}: kernel ${id} is not in the cache (hangar kernel list)`);
    return k.meta.fragments;
  }
  return scenario.kernel.fragments;
}

async function ensureHosts(bus: EventBus): Promise<void> {
  const log = (l: string) => bus.emit({ type: "progress", step: "host.install", message: l });
  const missing = [...(await ensureHost(true, log)), ...(await ensureKernelBuildHost({ debianSource: false, git: true }, log))];
  if (missing.length) throw new HangarError(`host requirements missing: ${missing.map((m) => m.pkg).join(", ")} (see hangar doctor)`);
}

/** Same inputs, same id: `--resume` finds the ledger of the interrupted run. */
export function bisectId(inputs: BisectInputs): string {
  const h = createHash("sha256").update(JSON.stringify(inputs)).digest("hex").slice(0, 12);
  return `bisect-${inputs.scenario}-${h}`;
}

type BisectCliOptions = KernelOpts &
  Partial<RedisCliOptions> & { git: string; good: string; bad: string; policy: UserPolicyName; confidence: number; signature?: string; jobs: number; timeFactor?: number; maxRuns: number; accel: "auto" | "kvm" | "tcg"; results: string; resume?: boolean; json?: boolean; verbose?: boolean };

export function registerBisect(program: Command): void {
  const bisect = program
    .command("bisect")
    .description("find the commit that brought a deadlock in: signature-aware, flake-aware, with a confidence (never touches your checkout)")
    .argument("<scenario>", "scenario YAML file whose expected signature marks a bad commit")
    .requiredOption("--git <dir>", "the kernel git repository")
    .requiredOption("--good <rev>", "a commit without the bug")
    .requiredOption("--bad <rev>", "a commit with the bug")
    .option("--policy <name>", "auto (by the measured reproduction rate), repeat (runs until a hit or n clean runs), bayes (noisy binary search)", parsePolicy, "auto" as UserPolicyName)
    .option("--confidence <c>", "stop when the culprit has this posterior probability", parseProbability, 0.95)
    .option("--signature <name>", "the expected signature that marks a bad commit (default: the first one seen at the bad endpoint)")
    .option("-j, --jobs <n>", "attempts of one commit at once (with --redis: queued together; default the slots of the farm's workers)", parsePositiveInt, 1)
    .option("--patch <file>", "apply this patch at every commit (-p1); repeatable", collect, [] as string[])
    .option("--fragment <a,b,...>", "kernel config fragments (default: the scenario's kernel.fragments)", fragmentsOption)
    .option("--config-from <kernel-id>", "the config fragments of this built kernel (hangar kernel list)")
    .option("--time-factor <f>", "multiply every workload duration", parsePositiveNumber)
    .option("--max-runs <n>", "give up (with the best guess) after this many runs", parsePositiveInt, DEFAULT_POLICY_OPTIONS.maxRuns)
    .option("--accel <mode>", "auto, kvm or tcg", parseAccel, "auto")
    .option("--results <dir>", "results root directory", resultsDir())
    .option("--resume", "continue the bisect with these arguments from its ledger")
    .option("--json", "print the report as JSON")
    .option("-v, --verbose", "show debug messages and every progress line");
  redisCliOptions(bisect, { required: false }).action(async (file: string, opts: BisectCliOptions, cmd: Command) => {
      // --redis: each commit's attempts are jobs on the farm (docs/farm.md); Redis is checked before anything is built or enqueued.
      const target = opts.redis ? redisTarget(opts as RedisCliOptions) : undefined;
      const { scenario, signature } = await loadTarget(file, opts);
      const fragments = await fragmentsFor(scenario, opts);
      const repo = new GitRepo(resolve(opts.git));
      await repo.check();
      const good = await repo.resolve(opts.good, "--good");
      const bad = await repo.resolve(opts.bad, "--bad");
      const patches = opts.patch.map((p) => resolve(p));
      const inputs: BisectInputs = {
        git: await realpath(opts.git),
        good,
        bad,
        scenario: scenario.name,
        ...(signature ? { signature } : {}),
        policy: opts.policy,
        confidence: opts.confidence,
        patches,
        fragments,
      };
      const id = bisectId(inputs);
      const dir = join(resolve(opts.results), id);
      const bus = new EventBus();
      attachRenderer(bus, { verbose: !!opts.verbose });
      let jobs = opts.jobs;
      if (target) {
        await checkRedis(target);
        if (cmd.getOptionValueSource("jobs") !== "cli") {
          // A commit's attempts are queued together: as many as the farm's workers run at once.
          const slots = (await farmStatus(target)).workers.reduce((n, w) => n + w.slots, 0);
          jobs = Math.min(50, Math.max(1, slots));
          bus.emit({ type: "log", level: "info", message: `--redis: ${jobs} attempt(s) of a commit at once (the slots of the workers alive; -j N to choose)` });
        }
      }
      await ensureHosts(bus);
      bus.emit({ type: "log", level: "info", message: `bisect ${id}: ${scenario.name} over ${good.slice(0, 12)}..${bad.slice(0, 12)} → ${dir}` });
      let farm: FarmExecutor | undefined;
      if (target) {
        const resumeHint = `hangar bisect … --redis URL --resume (the same arguments)`;
        farm = await openFarmExecutor({ target, sink: bus, root: resolve(opts.results), accel: opts.accel, resumeHint, ...(opts.timeFactor ? { timeFactor: opts.timeFactor } : {}) });
      }
      const tester = kernelTester({ git: inputs.git, patches, fragments, sink: bus, scenario, dir, accel: opts.accel, ...(farm ? { executor: farm.execute } : {}) });
      const bisecting = guarded((signal) =>
        runBisect({
          repo,
          inputs,
          id,
          dir,
          policy: opts.policy,
          policyOptions: { ...DEFAULT_POLICY_OPTIONS, confidence: opts.confidence, jobs, maxRuns: opts.maxRuns },
          tester,
          resume: !!opts.resume,
          sink: bus,
          signal,
        }),
      );
      // A bisect that reached its decision: its jobs leave Redis. Stopped or failed: they stay, and --resume collects them.
      const outcome = farm
        ? await bisecting.then(
            async (x) => {
              // Every run of the ledger, this invocation's and those of the invocations it resumed.
              const removeDirs = [...x.book.records.values()].flatMap((r) => r.runs.flatMap((run) => (run.dir ? [run.dir] : [])));
              await farm.close({ removeCollected: true, removeDirs });
              return x;
            },
            async (err: unknown) => {
              await farm.close();
              throw err;
            },
          )
        : await bisecting;
      // Wall time over every invocation of this bisect, not only this one (a resumed bisect loses none).
      const wallMs = ledgerWallMs(await readLedger(outcome.ledger));
      const report = await buildReport(outcome, repo, { scenario: scenario.name, policy: opts.policy, wallMs });
      await appendEvent(outcome.ledger, { type: "done", at: new Date().toISOString(), exitCode: report.exitCode });
      await writeJsonAtomic(join(dir, "report.json"), report);
      const text = reportText(report);
      await writeFile(join(dir, "report.txt"), reportText(report, dir));
      await writeFile(join(dir, "report.html"), bisectPage(report, dir));
      process.stdout.write(opts.json ? JSON.stringify(report, null, 2) + "\n" : text);
      process.exitCode = report.exitCode;
      },
    );

  program
    .command("bisect-step")
    .description("for `git bisect run`: build the checked-out commit, run the scenario; exit 0 good, 1 bad (target signature seen), 125 skip (build/boot/infra failure, missing options), 128+ hangar failed")
    .argument("<scenario>", "scenario YAML file")
    .option("--git <dir>", "the kernel git repository (default: the current directory, at HEAD)", ".")
    .option("--rev <rev>", "the commit to test", "HEAD")
    .option("--signature <name>", "only this expected signature counts (default: any of the scenario's)")
    .option("-n, --runs <n>", "clean runs for a good verdict (default: from --p and --step-confidence, else 10)", parsePositiveInt)
    .option("--p <p>", "how often the bug reproduces on a bad commit, per run", parseProbability)
    .option("--step-confidence <c>", "with --p: confidence that a good verdict is not a missed bad commit", parseProbability, 0.99)
    .option("--patch <file>", "apply this patch (-p1); repeatable", collect, [] as string[])
    .option("--fragment <a,b,...>", "kernel config fragments (default: the scenario's kernel.fragments)", fragmentsOption)
    .option("--config-from <kernel-id>", "the config fragments of this built kernel")
    .option("--time-factor <f>", "multiply every workload duration", parsePositiveNumber)
    .option("--accel <mode>", "auto, kvm or tcg", parseAccel, "auto")
    .option("--results <dir>", "results root directory", resultsDir())
    .option("-v, --verbose", "show debug messages")
    // git reads exit codes 1..127 as "bad": a usage error must not be one.
    .exitOverride((err) => {
      if (err.exitCode === 0) throw err;
      process.exit(128);
    })
    .action(async (file: string, opts: KernelOpts & { git: string; rev: string; signature?: string; runs?: number; p?: number; stepConfidence: number; timeFactor?: number; accel: "auto" | "kvm" | "tcg"; results: string; verbose?: boolean }) => {
      try {
      process.exitCode = await bisectStep(file, opts);
      } catch (err) {
      process.stderr.write(`hangar bisect-step: ${errorMessage(err)}\n`);
      process.exitCode = stepFailureExitCode(err, shutdownSignal.aborted);
      }
    });
}

async function bisectStep(
  file: string,
  opts: KernelOpts & { git: string; rev: string; signature?: string; runs?: number; p?: number; stepConfidence: number; timeFactor?: number; accel: "auto" | "kvm" | "tcg"; results: string; verbose?: boolean },
): Promise<number> {
  const { scenario } = await loadTarget(file, opts);
  const fragments = await fragmentsFor(scenario, opts);
  const repo = new GitRepo(resolve(opts.git));
  await repo.check();
  const sha = await repo.resolve(opts.rev, "--rev");
  const cleanRuns = opts.runs ?? (opts.p ? cleanRunsFor(opts.p, opts.stepConfidence) : 10);
  const targets = opts.signature ? [opts.signature] : scenario.expect.signatures.map((e) => e.name);
  const bus = new EventBus();
  attachRenderer(bus, { verbose: !!opts.verbose });
  await ensureHosts(bus);
  const dir = join(resolve(opts.results), `bisect-step-${scenario.name}`);
  const say = (m: string) => process.stderr.write(`hangar bisect-step: ${m}\n`);
  const gitDir = await realpath(opts.git);
  const built = await guarded((signal) => buildCommit({ git: gitDir, patches: opts.patch.map((p) => resolve(p)), fragments, sink: bus }, sha, signal));
  if (!built.ok) {
    say(`${sha.slice(0, 12)} does not build: ${built.reason} → skip`);
    return stepExitCode("skip");
  }
  const plan = await prepareBoot({ sink: bus, accel: opts.accel, kernelPath: built.kernelId! });
  const c: CommitCounts = { runs: 0, hits: 0, noise: 0, infra: 0 };
  for (let attempt = 1; ; attempt++) {
    const v = stepVerdict(c, cleanRuns);
    if (v !== "more") {
      say(`${sha.slice(0, 12)}: ${c.hits} hit(s), ${c.runs} run(s), ${c.noise} with other reports, ${c.infra} infra → ${v}`);
      return stepExitCode(v);
    }
    const r = classifyAttempt(
      await guarded((signal) => runAttempt({ scenario, attempt, dir: attemptDir(dir, sha, attempt), plan, sink: bus, signal })),
      scenario,
    );
    if (shutdownSignal.aborted) throw new HangarError("interrupted");
    if (r.status === "untestable") c.untestable = r.reason ?? "untestable";
    else if (r.status === "infra") c.infra++;
    else {
      c.runs++;
      if (r.matched.some((m) => targets.includes(m))) c.hits++;
      else if (r.matched.length || r.other.length) c.noise++;
    }
  }
}
