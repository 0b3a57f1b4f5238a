/**
 * The few statistics bisection needs. Pure.
 *
 * A bad commit shows the target signature with probability p per run; a good one never does
 * (signature-aware matching: no false positives). p is unknown: it carries a Beta(a, b)
 * posterior learnt from runs on commits proven bad (any hit proves it).
 */

/** log Γ(x) for x > 0 (Lanczos, g = 7; ~15 digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  x -= 1;
  let s = c[0]!;
  for (let i = 1; i < 9; i++) s += c[i]! / (x + i);
  const t = x + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(s);
}

/** log B(a, b). */
export function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

export interface BetaPosterior {
  a: number;
  b: number;
}

export function betaMean(p: BetaPosterior): number {
  return p.a / (p.a + p.b);
}

/** E[(1-p)^n] under Beta(a, b): the chance that n runs of a bad commit all miss. */
export function missChance(p: BetaPosterior, n: number): number {
  return Math.exp(logBeta(p.a, p.b + n) - logBeta(p.a, p.b));
}

/**
 * Clean runs needed before a commit is called good with confidence `c`, p unknown with the
 * given posterior: the smallest n with E[(1-p)^n] <= 1 - c. Capped at `max`.
 */
export function runsForConfidence(p: BetaPosterior, c: number, max = 10_000): number {
  if (missChance(p, 0) <= 1 - c) return 0;
  let hi = 1;
  while (hi < max && missChance(p, hi) > 1 - c) hi *= 2;
  if (hi >= max) return max;
  let lo = hi / 2;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (missChance(p, mid) > 1 - c) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** Binary entropy in bits. */
function h2(x: number): number {
  return x <= 0 || x >= 1 ? 0 : -x * Math.log2(x) - (1 - x) * Math.log2(1 - x);
}

/**
 * Where to split the culprit mass when a test of a bad commit shows a hit with probability
 * `q` and a good one never does (a Z-channel): the probability of "bad" that maximises the
 * information of one test. 0.5 for a perfect test, about 0.37 for an unreliable one.
 */
export function zChannelSplit(q: number): number {
  if (q >= 1) return 0.5;
  if (q <= 0) return 0.5;
  const f = 1 - q;
  return 1 / (q * (1 + Math.pow(2, h2(f) / q)));
}

/** Deterministic 32-bit PRNG (mulberry32): the simulator and the seeded tests use it. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
