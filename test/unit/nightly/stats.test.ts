import { describe, expect, it } from "vitest";
import { binomialUpperTail, fisherExact } from "../../../harness/nightly/index.ts";

// Reference values from R 4.x: fisher.test(matrix(c(k1, n1-k1, k2, n2-k2), 2, byrow=TRUE))$p.value
// and pbinom(k-1, n, p, lower.tail=FALSE).
describe("fisherExact (two-sided)", () => {
  const cases: [string, [number, number, number, number], number][] = [
    ["tea tasting 3/4 vs 1/4", [3, 4, 1, 4], 0.4857143],
    ["10/10 vs 0/10", [10, 10, 0, 10], 1.082509e-5],
    ["0/10 vs 0/10 (nothing either night)", [0, 10, 0, 10], 1],
    ["1/10 vs 11/14", [1, 10, 11, 14], 0.002759456],
    ["3/3 vs 0/3", [3, 3, 0, 3], 0.1],
    ["1/1 vs 0/1", [1, 1, 0, 1], 1],
    ["5/10 vs 5/10", [5, 10, 5, 10], 1],
    ["0 attempts tonight", [0, 0, 3, 5], 1],
  ];
  it.each(cases)("%s", (_name, [k1, n1, k2, n2], p) => {
    expect(fisherExact(k1, n1, k2, n2)).toBeCloseTo(p, 6);
    // Symmetric in the two nights.
    expect(fisherExact(k2, n2, k1, n1)).toBeCloseTo(p, 6);
  });
  it("rejects hits above attempts and non-integers", () => {
    expect(() => fisherExact(4, 3, 0, 3)).toThrow(/hits exceed attempts/);
    expect(() => fisherExact(1.5, 3, 0, 3)).toThrow(/k1/);
  });
});

describe("binomialUpperTail", () => {
  const cases: [number, number, number, number][] = [
    [3, 3, 0.5, 0.125],
    [0, 5, 0.3, 1],
    [5, 10, 0.1, 0.001634937],
    [2, 10, 0.3, 0.8506917],
    [1, 4, 0, 0],
    [4, 4, 1, 1],
  ];
  it.each(cases)("P(X >= %i | n=%i, p=%f)", (k, n, rate, p) => {
    expect(binomialUpperTail(k, n, rate)).toBeCloseTo(p, 6);
  });
});
