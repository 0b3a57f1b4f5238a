import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { expectationsSchema, expectedSignatureSchema, formatSchemaError } from "../../../harness/match/index.ts";

const YAML = `
signatures:
  - name: nfsiod flushes xfs-sync
    kind: warning
    title: "^WARNING in check_flush_dependency$"
    workqueues: [nfsiod, xfs-sync]
  - name: fsfreeze writer
    kind: hung-task
    frames: [mnt_want_write, path_openat]
    ordered: true
    task: "^dd$"
forbid:
  - name: no use-after-free
    kind: kasan
ignore:
  - name: lockdep splat from printk under pool->lock
    lockClasses: [console_owner, "&pool->lock"]
`;

describe("expectation schema", () => {
  it("accepts a YAML expectations block", () => {
    const e = expectationsSchema.parse(parseYaml(YAML));
    expect(e.signatures).toHaveLength(2);
    expect(e.forbid?.[0]?.kind).toBe("kasan");
  });

  it("rejects a misspelled field and names it", () => {
    const r = expectedSignatureSchema.safeParse({ name: "x", kind: "lockdep", frame: ["foo"] });
    expect(r.success).toBe(false);
    expect(formatSchemaError(r.error!)).toEqual(['unknown field "frame"']);
    const all = expectationsSchema.safeParse({ signatures: [{ name: "x", kind: "lockdep", lockclasses: ["a"] }] });
    expect(all.success).toBe(false);
    expect(formatSchemaError(all.error!)).toEqual(['signatures[0]: unknown field "lockclasses"']);
    const top = expectationsSchema.safeParse({ signatures: [], forbidden: [] });
    expect(formatSchemaError(top.error!)).toEqual(['unknown field "forbidden"']);
  });

  it("rejects bad values", () => {
    expect(expectedSignatureSchema.safeParse({ name: "x", kind: "deadlock" }).success).toBe(false);
    expect(expectedSignatureSchema.safeParse({ name: "x", title: "(" }).success).toBe(false);
    expect(expectedSignatureSchema.safeParse({ name: "x", frames: ["/(/"] }).success).toBe(false);
    expect(expectedSignatureSchema.safeParse({ name: "x", ordered: true }).success).toBe(false);
    expect(expectedSignatureSchema.safeParse({ kind: "lockdep" }).success).toBe(false);
  });

  it("requires at least one matcher, so an entry cannot match everything by accident", () => {
    const r = expectedSignatureSchema.safeParse({ name: "x" });
    expect(r.success).toBe(false);
    expect(formatSchemaError(r.error!)[0]).toMatch(/at least one of/);
  });
});
