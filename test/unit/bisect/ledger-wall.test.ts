/** ledgerWallMs: the wall time of a bisect over every invocation, so a resumed bisect reports its whole cost. */
import { describe, expect, it } from "vitest";
import { ledgerWallMs, type LedgerEvent } from "../../../harness/bisect/index.ts";

const at = (min: number) => new Date(Date.UTC(2026, 0, 1, 0, min)).toISOString();
const ev = (type: "start" | "resume" | "decision" | "done", min: number) => ({ type, at: at(min) }) as unknown as LedgerEvent;

describe("ledgerWallMs", () => {
  it("sums each invocation from its start or resume to its last event, leaving out the pause between", () => {
    // Started at 0, Ctrl-C after the event at 30; resumed a day later (1440), decided at 1450.
    expect(ledgerWallMs([ev("start", 0), ev("decision", 10), ev("decision", 30), ev("resume", 1440), ev("decision", 1450), ev("done", 1450)])).toBe(40 * 60_000);
  });
  it("one invocation: from start to the last event; an empty ledger: 0", () => {
    expect(ledgerWallMs([ev("start", 0), ev("decision", 93)])).toBe(93 * 60_000);
    expect(ledgerWallMs([])).toBe(0);
  });
});
