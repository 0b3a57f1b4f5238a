/**
 * `hangar lint FILE... [--kernel ID | --source DIR]`: expected signatures that can never match
 * the target kernel (a function it does not have, a lock lockdep cannot report). Exit 1 when
 * any can never match, 0 otherwise (warnings only), 2 bad input.
 */
import type { Command } from "commander";
import { guarded } from "../common/index.ts";
import { listKernels, resolveIdPrefix } from "../kernel/index.ts";
import { kernelIndexFor, lintScenario, lintTarget } from "../lint/index.ts";
import { loadTargets } from "./load-targets.ts";

export function registerLint(program: Command): void {
  program
    .command("lint")
    .description("find expected signatures that can never match the target kernel (missing functions, locks lockdep cannot report)")
    .argument("<files...>", "scenario or suite YAML files")
    .option("--kernel <id>", "check against this built kernel (its System.map: exact, inlined functions count as missing)")
    .option("--source <dir>", "check against this kernel source tree (default: Debian's unpacked linux-source-6.12)")
    .option("--json", "print the problems as JSON")
    .action(async (files: string[], opts: { kernel?: string; source?: string; json?: boolean }) => {
      const { scenarios } = await loadTargets(files);
      const kernelId = opts.kernel ? resolveIdPrefix(opts.kernel, (await listKernels()).map((k) => k.meta.id)) : undefined;
      const target = await lintTarget({ ...(kernelId ? { kernelId } : {}), ...(opts.source ? { source: opts.source } : {}) });
      const index = await guarded((signal) => kernelIndexFor(target, scenarios, signal));
      const results = await Promise.all(scenarios.map((sc) => lintScenario(sc, index)));
      const errors = results.reduce((n, r) => n + r.problems.filter((p) => p.severity === "error").length, 0);
      if (opts.json) process.stdout.write(JSON.stringify({ target: target.describe, results }, null, 2) + "\n");
      else {
        const lines = [`checked against ${target.describe}`];
        for (const r of results) {
          lines.push(`${r.problems.some((p) => p.severity === "error") ? "FAIL" : r.problems.length ? "WARN" : "ok  "}  ${r.scenario}`);
          for (const p of r.problems) lines.push(`      ${p.severity}: ${p.field} (${p.signature}): ${p.value}: ${p.message}`);
        }
        process.stdout.write(lines.join("\n") + "\n");
      }
      process.exitCode = errors ? 1 : 0;
    });
}
