import { join, relative } from "node:path";
import type { Command } from "commander";
import { EventBus, UserInputError, resultsDir, writeJsonAtomic } from "../common/index.ts";
import { ResultStore } from "../results/index.ts";
import { DEFAULT_REPLACE_INFRA, PROOF_FILE, buildProofKernels, formatProofs, planProofs, proofTable, proveExitCode, proveScenario, type ScenarioProof } from "../prove/index.ts";
import { ensureHost, ensureKernelBuildHost } from "./host-requirements.ts";
import { attachRenderer } from "./render.ts";
import { loadTargets } from "./load-targets.ts";
import { parseAccel, parseCount, parsePositiveInt, parsePositiveNumber } from "./args.ts";

export function registerProve(program: Command): void {
  program
    .command("prove")
    .description("prove report scenarios catch their bugs: known-bad kernels (knownBad:) reproduce, control and stock kernels stay clean")
    .argument("<files...>", "scenario or suite YAML files with a knownBad: section")
    .option("-n, --attempts <n>", "attempts on the known-bad and the control kernel (overrides knownBad[].attempts)", parsePositiveInt)
    .option("--stock-attempts <n>", "attempts on the stock kernel (no patches; default 1)", parsePositiveInt, 1)
    .option("--replace-infra <n>", "attempts that come out infra (not judged) are replaced by new ones, at most N per kernel", parseCount, DEFAULT_REPLACE_INFRA)
    .option("--only <name>", "prove only the knownBad entry with this name")
    .option("--time-factor <f>", "multiply workload durations (overrides knownBad[].time_factor)", parsePositiveNumber)
    .option("--accel <mode>", "accelerator: auto, kvm or tcg", parseAccel, "auto")
    .option("--results <dir>", "results root directory", resultsDir())
    .option("--build-only", "build the stock, control and known-bad kernels (one at a time) and print their ids; run nothing")
    .option("--json", "print the proofs as JSON on stdout")
    .option("-v, --verbose", "show debug messages and every progress line")
    .action(async (files: string[], opts: { attempts?: number; stockAttempts: number; replaceInfra: number; only?: string; buildOnly?: boolean; timeFactor?: number; accel: "auto" | "kvm" | "tcg"; results: string; json?: boolean; verbose?: boolean }) => {
      // Everything is checked before anything slow: fields, names, patch files (exit 2).
      const { scenarios } = await loadTargets(files);
      const plans = [];
      for (const sc of scenarios) plans.push(await planProofs(sc, opts.only));
      if (opts.only && plans.every((p) => !p.length)) {
        throw new UserInputError(`--only ${opts.only}: no knownBad entry of that name in ${scenarios.map((s) => s.file).join(", ")}`);
      }
      const bus = new EventBus();
      attachRenderer(bus, { verbose: !!opts.verbose });
      const log = (l: string) => bus.emit({ type: "progress", step: "host.install", message: l });
      const missing = [...(await ensureHost(true, log)), ...(await ensureKernelBuildHost({ debianSource: true, git: false }, log))];
      if (missing.length) throw new Error(`host requirements missing: ${missing.map((m) => m.pkg).join(", ")} (see hangar doctor)`);
      if (opts.buildOnly) {
        const lines: string[] = [];
        for (const p of plans) {
          if (!p.length) continue;
          for (const k of await buildProofKernels(p, bus)) {
            lines.push(`${p[0]!.scenario.name}  ${k.knownBad}  ${k.role.padEnd(9)}  ${k.id}  ${k.patches.map((f) => relative(process.cwd(), f)).join(" ") || "(no patches)"}`);
          }
        }
        process.stdout.write(lines.join("\n") + "\n");
        return;
      }
      const store = new ResultStore(opts.results);
      await store.init(bus);
      bus.emit({ type: "log", level: "info", message: `prove ${store.runId}: ${scenarios.length} scenario(s) → ${store.dir}` });
      const all: ScenarioProof[] = [];
      for (const p of plans) {
        if (!p.length) continue;
        all.push(
          await proveScenario(p, {
            sink: bus,
            store,
            accel: opts.accel,
            stockAttempts: opts.stockAttempts,
            replaceInfra: opts.replaceInfra,
            ...(opts.attempts ? { attempts: opts.attempts } : {}),
            ...(opts.timeFactor ? { timeFactor: opts.timeFactor } : {}),
          }),
        );
      }
      const exitCode = proveExitCode(all.map((s) => s.status));
      await writeJsonAtomic(join(store.dir, PROOF_FILE), { runId: store.runId, exitCode, scenarios: all });
      if (opts.json) process.stdout.write(JSON.stringify({ runId: store.runId, dir: store.dir, exitCode, scenarios: all }, null, 2) + "\n");
      else {
        const rel = relative(process.cwd(), store.dir) || ".";
        process.stdout.write(["", formatProofs(all), "", proofTable(all), `proof: ${rel}/${PROOF_FILE}`, `exit ${exitCode}`].join("\n") + "\n");
      }
      process.exitCode = exitCode;
    });
}
