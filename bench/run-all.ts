/**
 * `npm run bench`: every benchmark, printing its figures. Pass names to run a subset: npm run bench -- boot
 * "kernel" (a kernel rebuild, minutes) runs only when named: npm run bench -- kernel, or npm run bench:kernel.
 */
import { benchBoot } from "./boot.ts";
import { benchKernel } from "./kernel.ts";
import { benchParse } from "./parse.ts";

const all: Record<string, () => Promise<void>> = { parse: benchParse, boot: benchBoot, kernel: benchKernel };
const byDefault = Object.keys(all).filter((n) => n !== "kernel");
const pick = process.argv.slice(2).filter((a) => !a.startsWith("-"));
for (const name of pick.length ? pick : byDefault) {
  const fn = all[name];
  if (!fn) {
    console.error(`unknown benchmark "${name}"; known: ${Object.keys(all).join(", ")}`);
    process.exit(2);
  }
  console.log(`== bench ${name}`);
  await fn();
}
