/**
 * `npm run bench -- bisect`: the bisection policies on 1,024 synthetic commits (seeded, pure,
 * seconds): p in {0.9, 0.5, 0.3, 0.1}, 5% of commits do not build, an unrelated kernel report
 * in 5% of runs, 1,000 trials each. Prints the share of trials that named the right culprit,
 * mean runs and mean kernel builds for repeat, bayes, syzkaller's rule and a one-run bisect
 * (and auto, the default), then the targets. `--json` prints one object for scripts:
 * {"<policy>": {"<p>": {"accuracy", "meanRuns", "meanBuilds"}}}. `--trials N`, `--seed S`.
 */
import { DEFAULT_POLICY_OPTIONS, DEFAULT_SIM, makePolicy, simulate, type PolicyName, type SimSummary } from "../harness/bisect/index.ts";

const PS = [0.9, 0.5, 0.3, 0.1] as const;
const JSON_POLICIES: PolicyName[] = ["repeat", "bayes", "syzkaller", "single"];
const TABLE_POLICIES: PolicyName[] = ["repeat", "bayes", "auto", "syzkaller", "single"];

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

export async function benchBisect(args: string[] = process.argv.slice(2)): Promise<void> {
  const json = args.includes("--json");
  const trials = Number(argValue(args, "--trials") ?? 1000);
  const seed = Number(argValue(args, "--seed") ?? 1);
  const policies = json ? JSON_POLICIES : TABLE_POLICIES;
  const results: Record<string, Record<string, SimSummary & { seconds: number }>> = {};
  for (const name of policies) {
    results[name] = {};
    for (const p of PS) {
      const t0 = performance.now();
      const r = simulate(makePolicy(name, DEFAULT_POLICY_OPTIONS), { ...DEFAULT_SIM, p }, trials, seed);
      results[name][String(p)] = { ...r, seconds: (performance.now() - t0) / 1000 };
    }
  }
  if (json) {
    const out: Record<string, Record<string, { accuracy: number; meanRuns: number; meanBuilds: number }>> = {};
    for (const [name, byP] of Object.entries(results)) {
      out[name] = {};
      for (const [p, r] of Object.entries(byP)) out[name][p] = { accuracy: r.accuracy, meanRuns: r.meanRuns, meanBuilds: r.meanBuilds };
    }
    process.stdout.write(JSON.stringify(out) + "\n");
    return;
  }
  console.log(`${DEFAULT_SIM.commits} commits, ${DEFAULT_SIM.untestableRate * 100}% untestable, unrelated report in ${DEFAULT_SIM.noiseRate * 100}% of runs, ${trials} trials per cell, seed ${seed}`);
  const head = ["policy", "p", "right", "mean runs", "mean builds", "runs vs syzkaller", "time"];
  const rows: string[][] = [];
  for (const p of PS) {
    const syz = results.syzkaller![String(p)]!;
    for (const name of policies) {
      const r = results[name]![String(p)]!;
      rows.push([name, String(p), `${(r.accuracy * 100).toFixed(1)}%`, r.meanRuns.toFixed(1), r.meanBuilds.toFixed(1), `${(r.meanRuns / syz.meanRuns).toFixed(2)}x`, `${r.seconds.toFixed(2)} s`]);
    }
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => c.padStart(widths[i]!)).join("  ");
  console.log(fmt(head));
  for (const r of rows) console.log(fmt(r));
  const at = (name: string, p: number) => results[name]![String(p)]!;
  for (const name of ["bayes", "repeat", "auto"]) {
    const a3 = at(name, 0.3);
    const ratio = a3.meanRuns / at("syzkaller", 0.3).meanRuns;
    const a1 = at(name, 0.1);
    const ok3 = a3.accuracy >= 0.95 && ratio <= 0.6;
    const ok1 = a1.accuracy >= 0.9;
    console.log(
      `target ${name}: p=0.3 ${(a3.accuracy * 100).toFixed(1)}% right (>= 95%), ${ratio.toFixed(2)}x syzkaller's runs (<= 0.6x): ${ok3 ? "met" : "NOT met"}; ` +
        `p=0.1 ${(a1.accuracy * 100).toFixed(1)}% right (>= 90%): ${ok1 ? "met" : "NOT met"}`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchBisect();
