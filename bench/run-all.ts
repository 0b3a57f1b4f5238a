/** `npm run bench`: every benchmark, printing its figures. Pass names to run a subset: npm run bench -- boot */
import { benchBoot } from "./boot.ts";
import { benchParse } from "./parse.ts";

const all: Record<string, () => Promise<void>> = { parse: benchParse, boot: benchBoot };
const pick = process.argv.slice(2).filter((a) => !a.startsWith("-"));
for (const name of pick.length ? pick : Object.keys(all)) {
  const fn = all[name];
  if (!fn) {
    console.error(`unknown benchmark "${name}"; known: ${Object.keys(all).join(", ")}`);
    process.exit(2);
  }
  console.log(`== bench ${name}`);
  await fn();
}
