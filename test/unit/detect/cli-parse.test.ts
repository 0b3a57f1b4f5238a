/** `hangar parse` (harness/cli/parse.ts). */
import { join } from "node:path";
import { Command } from "commander";
import { describe, expect, it, vi } from "vitest";
import { registerParse, runParse } from "../../../harness/cli/parse.ts";

const FIX = join(import.meta.dirname, "../../fixtures");
const real = (f: string) => join(FIX, "real-vm", f);

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) } };
}

describe("hangar parse", () => {
  it("--json prints exactly one array, one element per file", async () => {
    const c = io();
    const files = [real("debian-6.1-fsfreeze-hung-task.console.log"), real("linux-6.12-lockdep-localio-enospc-clean.console.log"), join(FIX, "syzkaller-reports", "71")];
    expect(await runParse(files, { json: true }, c.io)).toBe(0);
    const parsed = JSON.parse(c.out.join(""));
    expect(parsed).toHaveLength(3);
    expect(parsed[0].file).toBe(files[0]);
    expect(parsed[0].reports[0]).toMatchObject({ kind: "hung-task", title: "INFO: task hung in mnt_want_write", corrupted: false, count: 2 });
    expect(parsed[0].reports[0].signature).toBe("hung-task:mnt_want_write|path_openat|do_filp_open");
    expect(parsed[0].reports[0].text).toBeUndefined();
    expect(parsed[1].reports).toEqual([]);
    // the syzkaller header is skipped, and line numbers still point into the file
    expect(parsed[2].reports[0]).toMatchObject({ title: "INFO: task hung in blkdev_put", startLine: 5 });
    expect(c.err).toEqual([]);
  });

  it("human output shows kind, title, signature and frames", async () => {
    const c = io();
    await runParse([real("linux-6.12-lockdep-localio-on-nfsiod-enospc.console.log")], {}, c.io);
    const s = c.out.join("");
    expect(s).toContain("2 reports");
    expect(s).toContain("warning: WARNING in check_flush_dependency");
    expect(s).toContain("signature: warning/flush-dependency:nfsiod:nfs_local_call_write>xfs-sync:xfs_flush_inodes_worker");
    expect(s).toContain("cycle:     console_owner -> &port_lock_key -> &dev->power.lock -> &pool->lock -> console_owner");
  });

  it("exits 2 naming an unreadable file, still parsing the others", async () => {
    const c = io();
    const code = await runParse(["/nonexistent/console.log", real("debian-6.1-fsfreeze-hung-task.console.log")], { json: true }, c.io);
    expect(code).toBe(2);
    expect(c.err.join("")).toContain("/nonexistent/console.log");
    const parsed = JSON.parse(c.out.join(""));
    expect(parsed[0]).toMatchObject({ file: "/nonexistent/console.log", reports: [] });
    expect(parsed[1].reports).toHaveLength(1);
  });

  it("registers a commander subcommand with help", async () => {
    const program = new Command("hangar").exitOverride();
    registerParse(program);
    const cmd = program.commands.find((c) => c.name() === "parse")!;
    expect(cmd.helpInformation()).toContain("--json");
    const write = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    try {
      await program.parseAsync(["node", "hangar", "parse", "--json", real("linux-6.12-lockdep-localio-enospc-clean.console.log")]);
      const printed = write.mock.calls.map((c) => String(c[0])).join("");
      expect(JSON.parse(printed)).toEqual([{ file: real("linux-6.12-lockdep-localio-enospc-clean.console.log"), reports: [] }]);
    } finally {
      write.mockRestore();
    }
    expect(process.exitCode ?? 0).toBe(0);
  });
});
