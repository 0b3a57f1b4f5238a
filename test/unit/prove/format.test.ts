import { describe, expect, it } from "vitest";
import { formatProofs, proofTable, tally, type AttemptOutcome, type RoleRecord, type ScenarioProof } from "../../../harness/prove/index.ts";

const a = (verdict: AttemptOutcome["verdict"], matched: string[] = [], min = 3): AttemptOutcome => ({ verdict, matched, durationMs: min * 60_000 });
function role(r: RoleRecord["role"], outcomes: AttemptOutcome[], patches: string[]): RoleRecord {
  return { ...tally(r, outcomes, ["sig"]), kernel: { id: "abcdef123456", patches, fragments: ["base"] }, outcomes };
}

const proof: ScenarioProof = {
  scenario: "nfs-localio-xfs-enospc",
  status: "proven",
  proofs: [
    {
      scenario: "nfs-localio-xfs-enospc",
      file: "/w/nfs.yaml",
      knownBad: "localio-writes-on-nfsiod",
      fidelity: "pattern",
      summary: "LOCALIO writes on nfsiod",
      status: "proven",
      reasons: [],
      needed: 2,
      signatures: ["sig"],
      timeFactor: 0.25,
      knownBadRuns: role("known-bad", [a("reproduced", ["sig"], 2), a("reproduced", ["sig"], 4), a("clean", [], 3)], ["/p/nfs.patch"]),
      control: role("control", [a("clean"), a("clean"), a("clean")], []),
      startedAt: "2026-12-01T00:00:00Z",
      durationMs: 1,
    },
    {
      scenario: "nfs-localio-xfs-enospc",
      file: "/w/nfs.yaml",
      knownBad: "gone",
      fidelity: "revert",
      summary: "s",
      status: "unavailable",
      reasons: ["cannot be brought back honestly: the lock is gone"],
      needed: 2,
      signatures: [],
      timeFactor: 1,
      unavailable: "the lock is gone",
      startedAt: "2026-12-01T00:00:00Z",
      durationMs: 0,
    },
  ],
};

describe("proof output", () => {
  it("prints both rates with Wilson intervals, minutes per attempt, the patches and each attempt", () => {
    const text = formatProofs([proof]);
    expect(text).toContain("PASS  nfs-localio-xfs-enospc: proven");
    expect(text).toContain("known-bad reproduced 2/3 [21%–94%]  3.0 min/attempt  kernel abcdef123456 (nfs.patch)");
    expect(text).toContain("control   clean 3/3 [44%–100%]");
    expect(text).toContain("stock     = control (no injection patches)");
    expect(text).toContain("known-bad #1 reproduced (sig)  2.0 min");
    expect(text).toContain("cannot be brought back honestly: the lock is gone");
  });
  it("the closing table: report, fidelity, control rate, known-bad rate, minutes per attempt", () => {
    const rows = proofTable([proof]).split("\n").map((l) => l.split(/\s{2,}/));
    expect(rows[0]).toEqual(["scenario", "known-bad", "fidelity", "status", "control clean", "known-bad reproduced", "stock clean", "min/attempt"]);
    expect(rows[1]).toEqual(["nfs-localio-xfs-enospc", "localio-writes-on-nfsiod", "pattern", "proven", "3/3", "2/3", "= control", "3.0"]);
    expect(rows[2]).toEqual(["nfs-localio-xfs-enospc", "gone", "revert", "unavailable", "-", "-", "-", "-"]);
  });
});
