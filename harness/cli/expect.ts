/**
 * `hangar expect LOG...`: print an `expect:` block whose signatures match the kernel reports in
 * the given console logs or mailing-list messages (quotes stripped, joined lines recovered).
 */
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { UserInputError } from "../common/index.ts";
import { parseReports, stripSyzkallerHeader, type Report } from "../detect/index.ts";
import { draftSignatures, proseHints, recoverLogText, renderExpect, type ProseHints } from "../expect/index.ts";

export async function draftExpect(files: string[]): Promise<{ yaml: string; reports: number }> {
  const sources: { file: string; reports: number }[] = [];
  const all: Report[] = [];
  const hints: ProseHints = { functions: [], locks: [] };
  for (const file of files) {
    let raw: string;
    try {
      raw = await readFile(file, "utf8");
    } catch (err) {
      throw new UserInputError(`hangar expect: cannot read ${file}: ${(err as Error).message}`);
    }
    const text = recoverLogText(stripSyzkallerHeader(raw));
    const reports = parseReports(text);
    sources.push({ file, reports: reports.length });
    all.push(...reports);
    if (!reports.length) {
      const h = proseHints(text);
      hints.functions.push(...h.functions.filter((f) => !hints.functions.includes(f)));
      hints.locks.push(...h.locks.filter((l) => !hints.locks.includes(l)));
    }
  }
  const signatures = draftSignatures(all);
  return { yaml: renderExpect({ sources, signatures, hints }), reports: all.length };
}

export function registerExpect(program: Command): void {
  program
    .command("expect")
    .description("print an expect: block (YAML) whose signatures match the kernel reports in console logs or mailing-list messages")
    .argument("<logs...>", "console/dmesg logs or report texts ('> ' quotes and joined lines are handled)")
    .action(async (files: string[]) => {
      const { yaml, reports } = await draftExpect(files);
      process.stdout.write(yaml);
      // Nothing to match: the block is empty, and that is not a usable expectation.
      if (!reports) process.exitCode = 1;
    });
}
