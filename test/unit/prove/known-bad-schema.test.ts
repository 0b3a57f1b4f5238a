/**
 * `knownBad:` in scenario files: the real shipped scenarios load with it, and every way an entry
 * can be wrong is a ConfigError (exit 2) naming the file and the field.
 */
import { afterAll, describe, expect, it } from "vitest";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { exitCodeOf, repoRoot } from "../../../harness/common/index.ts";
import { ConfigError, loadScenario } from "../../../harness/config/index.ts";
import { checkKnownBad, planProofs } from "../../../harness/prove/index.ts";

const dir = await mkdtemp(join(tmpdir(), "hangar-knownbad-"));
afterAll(() => rm(dir, { recursive: true, force: true }));
let n = 0;

function scenario(knownBad: unknown): Record<string, unknown> {
  return {
    name: "t",
    guest: { memory: "1G", disks: [{ name: "scratch", size: "1G" }] },
    steps: [{ name: "s", run: "true" }],
    expect: { outcome: "clean", signatures: [{ name: "the-warning", kind: "warning" }] },
    knownBad,
  };
}
async function file(doc: Record<string, unknown>): Promise<string> {
  const f = join(dir, `s${n++}.yaml`);
  await writeFile(f, stringify(doc));
  await writeFile(join(dir, "bug.patch"), "--- a/x\n+++ b/x\n");
  return f;
}
const entry = (over: Record<string, unknown> = {}) => ({ name: "bug", fidelity: "revert", summary: "the fix undone", patches: ["bug.patch"], signatures: ["the-warning"], ...over });

async function rejects(doc: Record<string, unknown>, field: string, what: RegExp): Promise<void> {
  const f = await file(doc);
  const err = await loadScenario(f).then(checkKnownBad).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ConfigError);
  expect(exitCodeOf(err)).toBe(2);
  const msg = (err as Error).message;
  expect(msg).toContain(f);
  expect(msg).toContain(field);
  expect(msg).toMatch(what);
}

describe("knownBad schema", () => {
  it("defaults: 3 attempts, 2 needed, no injection", async () => {
    const s = await loadScenario(await file(scenario([entry()])));
    expect(checkKnownBad(s)).toEqual([expect.objectContaining({ name: "bug", attempts: 3, needed: 2, inject: [], patches: ["bug.patch"] })]);
  });
  it("rejects an unknown fidelity, naming the allowed ones", () => rejects(scenario([entry({ fidelity: "faithful" })]), "knownBad[0].fidelity", /revert.*pattern.*sibling.*forced/));
  it("rejects a misspelled field", () => rejects(scenario([entry({ patch: ["bug.patch"] })]), "knownBad[0].patch", /unknown field/));
  it("rejects needed > attempts", () => rejects(scenario([entry({ attempts: 1, needed: 2 })]), "knownBad[0].needed", /at most `attempts`/));
  it("rejects an entry without bug patches", () => rejects(scenario([entry({ patches: [] })]), "knownBad[0].patches", /at least one bug patch/));
  it("rejects a summary over several lines", () => rejects(scenario([entry({ summary: "a\nb" })]), "knownBad[0].summary", /one line/));
  it("rejects a patch path that is not a patch", () => rejects(scenario([entry({ patches: ["bug.txt"] })]), "knownBad[0].patches[0]", /\.patch/));
  it("rejects a signature name expect: does not have", () => rejects(scenario([entry({ signatures: ["the-warnin"] })]), "knownBad[0].signatures[0]", /not the name of an expect\.signatures entry.*the-warning/));
  it("rejects two entries with one name", () => rejects(scenario([entry(), entry()]), "knownBad[1].name", /earlier/));
  it("prove without knownBad names the missing field", () => rejects(scenario(undefined), "knownBad", /missing/));
  it("an unavailable entry needs no patches but says why", async () => {
    const s = await loadScenario(await file(scenario([entry({ patches: [], signatures: [], unavailable: "the lock is gone" })])));
    expect(checkKnownBad(s)[0]!.unavailable).toBe("the lock is gone");
  });
  it("a missing patch file is named with its field, before anything is built", async () => {
    const s = await loadScenario(await file(scenario([entry({ inject: ["nope.patch"] })])));
    const err = await planProofs(s).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/knownBad\[0\]\.inject\[0\].*patch file not found: .*nope\.patch/);
  });
  it("plans stock, control (+inject) and known-bad (+inject +bug) kernels with absolute paths", async () => {
    await writeFile(join(dir, "inject.patch"), "");
    const s = await loadScenario(await file(scenario([entry({ inject: ["inject.patch"] })])));
    const [p] = await planProofs(s);
    expect(p!.stock.patches).toEqual([]);
    expect(p!.control.patches).toEqual([join(dir, "inject.patch")]);
    expect(p!.bad.patches).toEqual([join(dir, "inject.patch"), join(dir, "bug.patch")]);
    expect(p!.controlIsStock).toBe(false);
  });
});

describe("the shipped report scenarios", () => {
  it("report 004 proves with its existing nfsiod patch (pattern, 2 of 3, the flush-dependency WARNING)", async () => {
    const s = await loadScenario(join(repoRoot, "workloads", "nfs-localio-xfs-enospc.yaml"));
    const [p] = await planProofs(s);
    expect(p!.knownBad).toMatchObject({ fidelity: "pattern", attempts: 3, needed: 2, signatures: ["localio-write-flushes-xfs-sync-from-reclaim-workqueue"] });
    expect(p!.bad.patches).toEqual([join(repoRoot, "vm-images", "patches", "nfs-localio-writes-on-nfsiod.patch")]);
    expect(p!.controlIsStock).toBe(true);
  });

  const REPORT_SCENARIOS: Record<string, string> = {
    "000": "xfs-bmbt-split-rescuer",
    "001": "xfs-inodegc-shrinker-scrub",
    "002": "xfs-dmthin-loop-reclaim",
    "003": "btrfs-zstd-on-btrfs-loop",
    "004": "nfs-localio-xfs-enospc",
  };
  for (const [report, name] of Object.entries(REPORT_SCENARIOS)) {
    it(`${name} (report ${report}): every known-bad kernel has its patches, and each patch says which report and what it does`, async () => {
      const s = await loadScenario(join(repoRoot, "workloads", `${name}.yaml`));
      const plans = await planProofs(s);
      expect(plans.length).toBeGreaterThan(0);
      // the stock kernel shares the config of every patched one (one ccache, warm rebuilds)
      for (const p of plans) expect(p.stock.fragments).toEqual(p.bad.fragments);
      for (const p of plans) {
        for (const file of p.bad.patches) {
          const text = await readFile(file, "utf8");
          const header = text.slice(0, text.indexOf("\n--- a/"));
          expect(header, file).toMatch(new RegExp(`report ${report}`));
          // an injection patch says it goes into both kernels; a bug patch that it is known-bad only
          if (p.control.patches.includes(file)) expect(header, file).toMatch(/BOTH the control and the known-bad kernel/);
          else expect(header, file).toMatch(/known-bad/i);
        }
      }
    });
  }
});
