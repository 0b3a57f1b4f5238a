/**
 * The two tests the nightly comparison needs, exact (attempt counts are small, so no normal
 * approximations):
 * - Fisher's exact test on a 2×2 table: did a signature's rate change between two nights?
 * - The binomial upper tail: is a known issue seen more often than its expected rate allows?
 */

const logFactCache: number[] = [0];

/** ln(n!) by summing logarithms (n is an attempt count: small), cached. */
function logFact(n: number): number {
  for (let i = logFactCache.length; i <= n; i++) logFactCache[i] = logFactCache[i - 1]! + Math.log(i);
  return logFactCache[n]!;
}

/** ln of the hypergeometric probability of the table [[a, b], [c, d]] with fixed margins. */
function logTableProb(a: number, b: number, c: number, d: number): number {
  const n = a + b + c + d;
  return logFact(a + b) + logFact(c + d) + logFact(a + c) + logFact(b + d) - logFact(n) - logFact(a) - logFact(b) - logFact(c) - logFact(d);
}

/**
 * Two-sided Fisher's exact test: `k1` hits in `n1` attempts against `k2` in `n2`. The p-value sums the
 * probabilities of every table with the same margins that is at most as likely as the observed one
 * (R's fisher.test convention, with its relative tolerance of 1e-7 for ties).
 */
export function fisherExact(k1: number, n1: number, k2: number, n2: number): number {
  for (const [v, what] of [[k1, "k1"], [n1, "n1"], [k2, "k2"], [n2, "n2"]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`fisherExact: ${what} must be a whole number >= 0, got ${v}`);
  }
  if (k1 > n1 || k2 > n2) throw new RangeError(`fisherExact: hits exceed attempts (${k1}/${n1}, ${k2}/${n2})`);
  const hits = k1 + k2;
  const lo = Math.max(0, hits - n2);
  const hi = Math.min(hits, n1);
  const observed = logTableProb(k1, n1 - k1, k2, n2 - k2);
  let p = 0;
  for (let a = lo; a <= hi; a++) {
    const lp = logTableProb(a, n1 - a, hits - a, n2 - hits + a);
    if (lp <= observed + 1e-7 * Math.abs(observed) + 1e-12) p += Math.exp(lp);
  }
  return Math.min(1, p);
}

/** P(X >= k) for X ~ Binomial(n, rate): how surprising k or more hits are at the expected rate. */
export function binomialUpperTail(k: number, n: number, rate: number): number {
  if (!Number.isInteger(k) || !Number.isInteger(n) || k < 0 || n < 0 || k > n) throw new RangeError(`binomialUpperTail: need 0 <= k <= n, got ${k}/${n}`);
  if (!(rate >= 0 && rate <= 1)) throw new RangeError(`binomialUpperTail: rate must be within [0, 1], got ${rate}`);
  if (k === 0) return 1;
  if (rate === 0) return 0;
  if (rate === 1) return 1;
  let p = 0;
  for (let i = k; i <= n; i++) {
    p += Math.exp(logFact(n) - logFact(i) - logFact(n - i) + i * Math.log(rate) + (n - i) * Math.log1p(-rate));
  }
  return Math.min(1, p);
}
