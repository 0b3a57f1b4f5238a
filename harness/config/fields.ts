import { z } from "zod";
import { MAX_TIMER_MS, formatMs } from "../common/index.ts";
import { parseDuration, parseSizeMiB } from "./units.ts";

export { MAX_TIMER_MS };

/** The largest size field (16 TiB), far beyond any guest disk or RAM: keeps arithmetic on sizes exact. */
export const MAX_SIZE_MIB = 16 * 1024 * 1024;

/** Names of scenarios, steps, layers: at most this long (they become paths, device-mapper and mount names). */
export const MAX_NAME_LENGTH = 64;

/** A field in human units: a string or a number, parsed by `parse`, or an error saying what was expected. */
function unitField(parse: (v: string | number) => number | undefined, expected: string, check?: (n: number) => string | undefined) {
  return z.union([z.string(), z.number()]).transform((v, ctx) => {
    const n = parse(v);
    if (n === undefined) {
      ctx.addIssue({ code: "custom", message: `expected ${expected}, got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    const bad = check?.(n);
    if (bad) {
      ctx.addIssue({ code: "custom", message: `${bad}, got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return n;
  });
}

const DURATION = 'a duration such as "30s", "5m" or a number of seconds';
const withinTimers = (n: number) => (n > MAX_TIMER_MS ? `expected at most ${formatMs(MAX_TIMER_MS)} (the longest wait a timer can keep)` : undefined);

/** A duration field that may be 0 ("30s", "5m", "1h", or a number of seconds), parsed to milliseconds. */
export const duration = unitField(parseDuration, DURATION, withinTimers);

/** A duration that must be longer than 0: deadlines, timeouts, cooldowns, intervals, workload durations. */
export const positiveDuration = unitField(parseDuration, DURATION, (n) => (n <= 0 ? "expected a duration longer than 0" : withinTimers(n)));

/** A size field: "2G", "512M", or a number of MiB. Parsed to MiB. */
export const sizeMiB = unitField(parseSizeMiB, 'a size such as "2G", "512M" or a number of MiB', (n) =>
  n > MAX_SIZE_MIB ? `expected at most 16T` : undefined,
);

/** A size handed to a guest tool as written ("4k", "256M", "1g"): digits with an optional k/m/g suffix. */
export const sizeText = z
  .union([z.string(), z.number().int().positive()])
  .transform((v) => String(v))
  .pipe(z.string().regex(/^\d{1,12}[kKmMgG]?$/, 'expected a size such as "4k", "256M" or "1g"'));

/** Names of scenarios, steps, disks and layers. */
export const name = z
  .string()
  .max(MAX_NAME_LENGTH, `expected at most ${MAX_NAME_LENGTH} characters`)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, "expected lower-case letters, digits, '.', '_' or '-'");

/**
 * A scratch disk's name: QEMU's drive id is `d-<name>`, at most 20 of [a-zA-Z0-9_-], so at most
 * 18 characters and no '.' (a longer name would be cut, and two names could collide).
 */
export const diskName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*$/, "expected lower-case letters, digits, '_' or '-' (it becomes the QEMU drive id d-<name>)")
  .max(18, "expected at most 18 characters (it becomes the QEMU drive id d-<name>, at most 20)");

/** A kernel module name as modprobe knows it (and as $HANGAR_MODULE_<NAME> spells it). */
export const moduleName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_]*$/, "expected a kernel module name: lower-case letters, digits and '_' such as hangar_lockdep_abba")
  .max(55, "expected at most 55 characters (the kernel's module name limit)");
