import type { Command } from "commander";
import { resultsDir } from "../common/index.ts";
import { queryHistory, readHistory, rebuildHistory, writeHistoryPage, type HistoryRow } from "../nightly/index.ts";
import { parsePositiveInt } from "./args.ts";

interface HistoryCliOptions {
  scenario?: string;
  signature?: string;
  kernel?: string;
  last?: number;
  results: string;
  rebuild?: boolean;
  json?: boolean;
}

function rowLine(r: HistoryRow): string {
  const badges = `${r.new.length ? ` +${r.new.length} new` : ""}${r.gone.length ? ` −${r.gone.length} gone` : ""}`;
  const sig = r.signature !== undefined ? `  ${r.hits}/${r.judged}  ${r.title}` : `  ${r.reported}/${r.judged}${r.infra ? ` (${r.infra} infra)` : ""}`;
  return `${r.runId}  ${r.kernel.padEnd(12)} ${r.scenario.padEnd(28)} ${r.state.padEnd(11)}${sig}${badges}`;
}

export function registerHistory(program: Command): void {
  program
    .command("history")
    .description("nightly history from the results index: per night the state of each scenario × kernel, or of one signature")
    .option("--scenario <name>", "only this scenario")
    .option("--signature <sig>", "one signature (exact, a prefix, or text of its title): its hits per night")
    .option("--kernel <name>", "only this kernel (its nightly name)")
    .option("--last <n>", "only the last N nights", parsePositiveInt)
    .option("--results <dir>", "results root directory", resultsDir())
    .option("--rebuild", "rebuild history.jsonl and index.html from the nights' nightly.json files")
    .option("--json", "print the rows as JSON")
    .action(async (opts: HistoryCliOptions) => {
      const warn = (m: string) => process.stderr.write(`hangar: warning: ${m}\n`);
      const history = opts.rebuild ? await rebuildHistory(opts.results, warn) : await readHistory(opts.results, warn);
      if (opts.rebuild) {
        const page = await writeHistoryPage(opts.results, history);
        process.stderr.write(`hangar: rebuilt the index from ${history.length} night(s); ${page}\n`);
      }
      const rows = queryHistory(history, {
        ...(opts.scenario ? { scenario: opts.scenario } : {}),
        ...(opts.signature ? { signature: opts.signature } : {}),
        ...(opts.kernel ? { kernel: opts.kernel } : {}),
        ...(opts.last ? { last: opts.last } : {}),
      });
      if (opts.json) process.stdout.write(JSON.stringify(rows, null, 2) + "\n");
      else if (!history.length) process.stdout.write(`no nightly run in ${opts.results}\n`);
      else if (!rows.length) process.stdout.write(`no night matches (${history.length} night(s) in ${opts.results})\n`);
      else process.stdout.write(rows.map(rowLine).join("\n") + "\n");
      },
    );
}
