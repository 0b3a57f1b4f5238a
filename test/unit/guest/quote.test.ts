import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { markCommand, shEnv, shJoin, shQuote, stepCommand, sysctlCommand } from "../../../harness/guest/index.ts";

/** Run a command line through a real sh and return what it printed. */
const sh = (cmd: string) => execFileSync("sh", ["-c", cmd], { encoding: "utf8" });

describe("shQuote", () => {
  it("leaves safe words alone", () => {
    expect(shQuote("/dev/vdb")).toBe("/dev/vdb");
    expect(shQuote("kernel.hung_task_timeout_secs=10")).toBe("kernel.hung_task_timeout_secs=10");
  });

  it("round-trips hostile strings through a real shell", () => {
    for (const s of ["", "a b", "it's", "$(reboot)", "`id`", "a\nb", "\\", '"', "*", "; rm -rf /", "x'y'z"]) {
      expect(sh(`printf %s ${shQuote(s)}`)).toBe(s);
    }
  });

  it("joins argv so each element stays one argument", () => {
    expect(sh(`printf '<%s>' ${shJoin(["a b", "c'd", "$HOME"])}`)).toBe("<a b><c'd><$HOME>");
    expect(() => shJoin([])).toThrow();
  });
});

describe("command plans", () => {
  it("checks environment names", () => {
    expect(shEnv({ A: "x y" })).toBe("A='x y'");
    expect(() => shEnv({ "A;B": "x" })).toThrow(/invalid environment variable/);
  });

  it("runs a step script with its environment under sh -eu", () => {
    const cmd = stepCommand('echo "$HANGAR_DISK_SCRATCH:$X"', { HANGAR_DISK_SCRATCH: "/dev/vdb", X: "it's" });
    expect(sh(cmd)).toBe("/dev/vdb:it's\n");
    // -e: the first failure stops the script.
    expect(() => sh(stepCommand("false; echo never", {}))).toThrow();
  });

  it("builds a kmsg marker that survives quoting", () => {
    expect(markCommand({ phase: "setup" })).toBe("printf '%s\\n' 'hangar: phase=setup' > /dev/kmsg");
    expect(sh(markCommand({ phase: "x'y" }).replace(" > /dev/kmsg", ""))).toBe("hangar: phase=x'y\n");
  });

  it("applies sysctls one by one, stopping at the first failure", () => {
    expect(sysctlCommand({ "kernel.hung_task_timeout_secs": 10, "vm.dirty_ratio": 5 })).toBe(
      "sysctl -q -w kernel.hung_task_timeout_secs=10 && sysctl -q -w vm.dirty_ratio=5",
    );
    expect(sysctlCommand({})).toBeUndefined();
  });
});
