import { describe, expect, it } from "vitest";
import { parseLine } from "../../../harness/detect/index.ts";
import { normalizeFrame } from "../../../harness/detect/index.ts";
import { normalizeTitle } from "../../../harness/detect/index.ts";

describe("console prefixes", () => {
  it("strips a timestamp", () => {
    expect(parseLine("[   12.345678] INFO: task dd:1 blocked", 1)).toMatchObject({ text: "INFO: task dd:1 blocked", ctx: "console", ts: 12.345678 });
  });
  it("strips a caller id and keeps it as the context", () => {
    expect(parseLine("[   12.345678][ T123] hello", 1)).toMatchObject({ text: "hello", ctx: "T123", ts: 12.345678 });
    expect(parseLine("[   12.345678][    C1] x", 1)).toMatchObject({ text: "x", ctx: "C1" });
    expect(parseLine("[ 4452.861782][T17139] y", 1)).toMatchObject({ text: "y", ctx: "T17139" });
  });
  it("strips <N> log levels", () => {
    expect(parseLine("<6>[   85.501187] WARNING: foo", 1)).toMatchObject({ text: "WARNING: foo", ctx: "console", ts: 85.501187 });
    expect(parseLine("<4>plain", 1)).toMatchObject({ text: "plain", ctx: "" });
  });
  it("handles a login prompt and dropped-message markers glued in front", () => {
    expect(parseLine("vm login: [   42.733244] loop0: detected", 1)).toMatchObject({ text: "loop0: detected", ctx: "console", ts: 42.733244 });
    expect(parseLine("** 3764 printk messages dropped ** [   46.3] BUG: KASAN: x", 1)).toMatchObject({ text: "BUG: KASAN: x", ts: 46.3 });
  });
  it("removes carriage returns and keeps indentation of frames", () => {
    expect(parseLine("[   62.650026]  __schedule+0x34d/0xa00\r", 1)).toMatchObject({ text: " __schedule+0x34d/0xa00" });
  });
  it("leaves untimestamped lines alone", () => {
    expect(parseLine("[  OK  ] Started foo", 3)).toMatchObject({ text: "[  OK  ] Started foo", ctx: "", n: 3 });
    expect(parseLine("WARNING: CPU: 0 PID: 1 at a.c:1 f+0x1/0x2", 1).ctx).toBe("");
  });
});

describe("frame and title normalization", () => {
  it("drops offsets, compiler suffixes and module tags", () => {
    expect(normalizeFrame("check_flush_dependency.part.0+0x107/0x130")).toBe("check_flush_dependency");
    expect(normalizeFrame("xfs_trans_alloc.isra.3+0x1/0x2 [xfs]")).toBe("xfs_trans_alloc");
    expect(normalizeFrame("foo.constprop.0.cold")).toBe("foo");
  });
  it("normalizes numbers, addresses and executor names in titles", () => {
    expect(normalizeTitle("kernel panic: VFS: Unable to mount root fs on unknown-block(0,0)")).toBe(
      "kernel panic: VFS: Unable to mount root fs on unknown-block(NUM,NUM)",
    );
    expect(normalizeTitle("KASAN: use-after-free in do_con_write.part.23+0x1c50/0x1cb0 at addr ffff88000012c43a")).toBe(
      "KASAN: use-after-free in do_con_write.part.NUM at addr ADDR",
    );
    expect(normalizeTitle("task syz-executor.3:1234 x")).toBe("task syz-executor x");
    expect(normalizeTitle("in ip6_fragment")).toBe("in ip6_fragment");
  });
});
