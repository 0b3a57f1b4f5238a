/** Human units in scenario files: durations ("90s", "5m", "1h30m", "250ms" or a number of seconds) and sizes ("2G", "512M", "64k" or a number of MiB). */

const DURATION_RE = /^(?:(\d+(?:\.\d+)?)(ms|s|m|h))+$/;
const DURATION_PART_RE = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
const DURATION_UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parse a duration to milliseconds; returns undefined when the text is not a duration. */
export function parseDuration(v: string | number): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) && v >= 0 ? Math.round(v * 1000) : undefined;
  const s = v.trim().replace(/\s+/g, "");
  if (/^\d+(?:\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  if (!DURATION_RE.test(s)) return undefined;
  let ms = 0;
  for (const m of s.matchAll(DURATION_PART_RE)) ms += Number(m[1]) * DURATION_UNIT_MS[m[2]!]!;
  return Math.round(ms);
}

const SIZE_RE = /^(\d+(?:\.\d+)?)\s*([kKmMgGtT])(?:i?[bB])?$/;
const SIZE_UNIT: Record<string, number> = { k: 1 / 1024, m: 1, g: 1024, t: 1024 * 1024 };

/** Parse a size to MiB (rounded up); returns undefined when the text is not a size. */
export function parseSizeMiB(v: string | number): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) && v > 0 ? Math.ceil(v) : undefined;
  const s = v.trim();
  if (/^\d+$/.test(s)) return Number(s);
  const m = SIZE_RE.exec(s);
  if (!m) return undefined;
  const mib = Number(m[1]) * SIZE_UNIT[m[2]!.toLowerCase()]!;
  return mib > 0 ? Math.ceil(mib) : undefined;
}
