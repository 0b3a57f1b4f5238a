import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../../harness/common/index.ts";
import { expectationsSchema } from "../../../harness/match/index.ts";
import { REPORT_KINDS } from "../../../harness/detect/index.ts";

// The expectation examples in docs/expectations.md are checked against the schema, so the documentation cannot rot.
describe("docs/expectations.md examples", () => {
  it("every `signatures:` YAML block in docs/expectations.md validates, and every report kind has an example", async () => {
    const readme = await readFile(join(repoRoot, "docs", "expectations.md"), "utf8");
    const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
    const withSignatures = blocks.filter((b) => /^\s*signatures:/m.test(b) && !b.includes("[…]"));
    expect(withSignatures.length).toBeGreaterThanOrEqual(2);
    const kinds = new Set<string>();
    for (const b of withSignatures) {
      const doc = parse(b);
      const exp = doc.expect ?? doc;
      const r = expectationsSchema.safeParse({ forbid: [], ignore: [], ...exp });
      expect(r.success, JSON.stringify(r.error?.issues)).toBe(true);
      for (const s of r.data!.signatures) if (s.kind) kinds.add(s.kind);
    }
    for (const k of REPORT_KINDS.filter((k) => k !== "other")) expect(kinds, k).toContain(k);
  });
});
