import { describe, expect, it } from "vitest";
import { wilson } from "../../../harness/results/index.ts";

describe("wilson", () => {
  it("matches known values", () => {
    // 5/10: 0.2366–0.7634 (textbook value)
    const w = wilson(5, 10);
    expect(w.p).toBe(0.5);
    expect(w.low).toBeCloseTo(0.2366, 3);
    expect(w.high).toBeCloseTo(0.7634, 3);
  });
  it("never leaves [0,1] and is not degenerate at the edges", () => {
    const zero = wilson(0, 10);
    expect(zero.low).toBe(0);
    expect(zero.high).toBeCloseTo(0.2775, 3);
    const all = wilson(10, 10);
    expect(all.high).toBe(1);
    expect(all.low).toBeCloseTo(0.7225, 3);
    expect(wilson(0, 0)).toEqual({ p: 0, low: 0, high: 1 });
  });
});
