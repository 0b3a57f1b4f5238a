import { z } from "zod";
import { parseDuration, parseSizeMiB } from "./units.ts";

/** A field in human units: a string or a number, parsed by `parse`, or an error saying what was expected. */
function unitField(parse: (v: string | number) => number | undefined, expected: string) {
  return z.union([z.string(), z.number()]).transform((v, ctx) => {
    const n = parse(v);
    if (n === undefined) {
      ctx.addIssue({ code: "custom", message: `expected ${expected}, got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return n;
  });
}

/** A duration field: "30s", "5m", "1h", or a number of seconds. Parsed to milliseconds. */
export const duration = unitField(parseDuration, 'a duration such as "30s", "5m" or a number of seconds');

/** A size field: "2G", "512M", or a number of MiB. Parsed to MiB. */
export const sizeMiB = unitField(parseSizeMiB, 'a size such as "2G", "512M" or a number of MiB');

/** A size handed to a guest tool as written ("4k", "256M", "1g"): digits with an optional k/m/g suffix. */
export const sizeText = z
  .union([z.string(), z.number().int().positive()])
  .transform((v) => String(v))
  .pipe(z.string().regex(/^\d+[kKmMgG]?$/, 'expected a size such as "4k", "256M" or "1g"'));

/** Names of scenarios, steps, disks and layers. */
export const name = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, "expected lower-case letters, digits, '.', '_' or '-'");
