/** Human-readable lines for proofs: one block per known-bad kernel, and the closing table. */
import type { RoleRecord, ScenarioProof } from "./run.ts";

const pct = (x: number) => `${Math.round(x * 100)}%`;

export function describeRole(r: RoleRecord): string {
  const want = r.role === "known-bad" ? "reproduced" : "clean";
  const unjudged = r.attempts - r.judged;
  return (
    `${r.role.padEnd(9)} ${want} ${r.rate.k}/${r.rate.n} [${pct(r.rate.low)}–${pct(r.rate.high)}]` +
    `${unjudged ? ` (+${unjudged} not judged)` : ""}  ${r.minutesPerAttempt.toFixed(1)} min/attempt  kernel ${r.kernel.id}` +
    (r.kernel.patches.length ? ` (${r.kernel.patches.map((p) => p.split("/").pop()).join(", ")})` : "")
  );
}

const MARK = { proven: "PASS", failed: "FAIL", infra: "INFRA", "best-effort": "BEST-EFFORT", unavailable: "UNAVAILABLE" } as const;

export function formatProofs(all: ScenarioProof[]): string {
  const lines: string[] = [];
  for (const s of all) {
    lines.push(`${MARK[s.status].padEnd(5)} ${s.scenario}: ${s.status}`);
    for (const p of s.proofs) {
      lines.push(`  ${p.knownBad} (${p.fidelity}): ${p.status}${p.timeFactor !== 1 ? `  time factor ${p.timeFactor}` : ""}`);
      lines.push(`    ${p.summary}`);
      for (const r of [p.knownBadRuns, p.control, p.stock]) if (r) lines.push(`    ${describeRole(r)}`);
      if (p.control && !p.stock) lines.push(`    stock     = control (no injection patches)`);
      for (const why of p.reasons) lines.push(`    ${why}`);
      for (const r of [p.knownBadRuns, p.control, p.stock]) {
        for (const [i, a] of (r?.outcomes ?? []).entries()) {
          lines.push(`      ${r!.role} #${i + 1} ${a.verdict}${a.matched.length ? ` (${a.matched.join(", ")})` : ""}${a.reason ? ` — ${a.reason}` : ""}  ${(a.durationMs / 60_000).toFixed(1)} min`);
        }
      }
    }
  }
  return lines.join("\n");
}

/** The closing table: report, fidelity, control rate, known-bad rate, minutes per attempt. */
export function proofTable(all: ScenarioProof[]): string {
  const rows = [["scenario", "known-bad", "fidelity", "status", "control clean", "known-bad reproduced", "stock clean", "min/attempt"]];
  for (const s of all) {
    for (const p of s.proofs) {
      const rate = (r?: RoleRecord) => (r ? `${r.rate.k}/${r.rate.n}` : "-");
      const runs = [p.knownBadRuns, p.control, p.stock].filter((r): r is RoleRecord => !!r);
      const n = runs.reduce((x, r) => x + r.attempts, 0);
      const min = n ? runs.reduce((x, r) => x + r.minutesPerAttempt * r.attempts, 0) / n : 0;
      rows.push([s.scenario, p.knownBad, p.fidelity, p.status, rate(p.control), rate(p.knownBadRuns), p.stock ? rate(p.stock) : p.control ? "= control" : "-", n ? min.toFixed(1) : "-"]);
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n");
}
