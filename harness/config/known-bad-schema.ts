/**
 * `knownBad:` — how a report scenario proves it catches its bug (`hangar prove`, docs/prove.md).
 *
 * Each entry names a kernel that has the bug again: the control kernel is the scenario's
 * fragments plus the `inject` patches (they only make a rare precondition certain), the known-bad
 * kernel is the control plus the bug `patches`. A proof passes when the known-bad kernel is
 * `reproduced` with every named signature in at least `needed` of `attempts` attempts, the control
 * is `clean` in all of them, and the stock kernel (no patches) is `clean` too.
 */
import { z } from "zod";

/**
 * How close the known-bad kernel is to the report:
 * - `revert`  the fix undone;
 * - `pattern` the same faulty pattern re-created where the code moved on;
 * - `sibling` a neighbouring hazard, not the report's bug;
 * - `forced`  a precondition made certain by an injection patch.
 */
export const FIDELITIES = ["revert", "pattern", "sibling", "forced"] as const;
export type Fidelity = (typeof FIDELITIES)[number];

const patchPath = z
  .string()
  .min(1)
  .regex(/\.(patch|diff)$/, "expected a patch file path ending in .patch or .diff (relative to the scenario file)");

const oneLine = (what: string) =>
  z
    .string()
    .min(1, `expected ${what}`)
    .refine((s) => !s.includes("\n"), { message: `expected ${what} on one line` });

export const knownBadSchema = z
  .object({
    /** Names this known-bad kernel in proofs and results folders (lower-case, digits, dashes). */
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, "expected a short lower-case name (letters, digits, dashes)"),
    fidelity: z.enum(FIDELITIES),
    /** One line: what the patches do and how close that is to the report. */
    summary: oneLine("a one-line summary of what the patches bring back"),
    /** Bug patches, known-bad kernel only; paths relative to the scenario file. */
    patches: z.array(patchPath).default([]),
    /** Injection patches: applied to the control and the known-bad kernel. */
    inject: z.array(patchPath).default([]),
    attempts: z.number().int().min(1).max(100).default(3),
    /** Known-bad attempts that must reproduce (k of `attempts`). */
    needed: z.number().int().min(1).max(100).default(2),
    /** Names of `expect.signatures` entries that must all fire in a reproducing known-bad attempt. */
    signatures: z.array(z.string().min(1)).default([]),
    /** Multiplies the scenario's workload durations for the proof (default 1). */
    time_factor: z.number().positive().max(10).optional(),
    /**
     * Set when the known-bad kernel is not expected to reproduce within the proof's budget: the
     * attempts still run and are reported, but a miss does not fail the proof. Say why.
     */
    best_effort: oneLine("why this kernel is not expected to reproduce within the budget").optional(),
    /**
     * Set when the bug cannot be brought back honestly on the target kernel: nothing is built or
     * run, the proof is `unavailable` and says why.
     */
    unavailable: oneLine("why the bug cannot be brought back honestly").optional(),
  })
  .strict()
  .refine((k) => k.needed <= k.attempts, { message: "`needed` must be at most `attempts`", path: ["needed"] })
  .refine((k) => k.unavailable !== undefined || k.patches.length > 0, {
    message: "a known-bad kernel needs at least one bug patch (or `unavailable: reason`)",
    path: ["patches"],
  })
  .refine((k) => k.unavailable !== undefined || k.signatures.length > 0, {
    message: "name the expect.signatures entries that must fire (or `unavailable: reason`)",
    path: ["signatures"],
  });

export const knownBadListSchema = z.array(knownBadSchema).min(1);

export type KnownBad = z.output<typeof knownBadSchema>;

/**
 * Checks that need the whole scenario: every named signature is one of `expect.signatures`, and
 * names are unique. Paths are `knownBad[i].field`.
 */
export function knownBadProblems(sc: { knownBad?: KnownBad[]; expect: { signatures: { name: string }[] } }): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  const names = new Set(sc.expect.signatures.map((s) => s.name));
  const seen = new Set<string>();
  (sc.knownBad ?? []).forEach((k, i) => {
    if (seen.has(k.name)) out.push({ path: ["knownBad", i, "name"], message: `"${k.name}" is used by an earlier knownBad entry` });
    seen.add(k.name);
    k.signatures.forEach((s, j) => {
      if (!names.has(s)) {
        out.push({
          path: ["knownBad", i, "signatures", j],
          message: `"${s}" is not the name of an expect.signatures entry (expected one of: ${[...names].join(", ") || "none"})`,
        });
      }
    });
  });
  return out;
}
