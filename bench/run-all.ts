/**
 * `npm run bench`: every benchmark, printing its figures. Pass names to run a subset: npm run bench -- boot
 * "kernel" (a kernel rebuild, minutes) and "farm" (six guests, minutes) run only when named:
 * npm run bench -- kernel, npm run bench -- farm.
 * `npm run bench -- bisect --json` prints only the bisect simulation's JSON object (no headers).
 */
import { benchBisect } from "./bisect.ts";
import { benchBoot } from "./boot.ts";
import { benchFarm } from "./farm.ts";
import { benchHistory } from "./history.ts";
import { benchKernel } from "./kernel.ts";
import { benchParse } from "./parse.ts";

const args = process.argv.slice(2);
const all: Record<string, () => Promise<void>> = { parse: benchParse, boot: benchBoot, kernel: benchKernel, bisect: () => benchBisect(args), history: benchHistory, farm: benchFarm };
const byDefault = Object.keys(all).filter((n) => n !== "kernel" && n !== "farm");
// Names are the arguments that are neither options nor an option's value (--trials 200).
const pick = args.filter((a, i) => !a.startsWith("-") && !/^--(trials|seed)$/.test(args[i - 1] ?? ""));
const json = args.includes("--json");
for (const name of pick.length ? pick : byDefault) {
  const fn = all[name];
  if (!fn) {
    console.error(`unknown benchmark "${name}"; known: ${Object.keys(all).join(", ")}`);
    process.exit(2);
  }
  if (!json) console.log(`== bench ${name}`);
  await fn();
}
