/** `hangar parse` (harness/cli/parse.ts). */
import { closeSync, constants, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { execa } from "execa";
import { afterAll, describe, expect, it, vi } from "vitest";
import { registerParse, runParse } from "../../../harness/cli/parse.ts";
import { parseReports, stripSyzkallerHeader } from "../../../harness/detect/index.ts";

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

describe("hangar parse reads streams", () => {
  const tmp = mkdtempSync(join(tmpdir(), "hangar-parse-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const hung = readFileSync(real("debian-6.1-fsfreeze-hung-task.console.log"), "utf8");
  const nfsiod = readFileSync(real("linux-6.12-lockdep-localio-on-nfsiod-enospc.console.log"), "utf8");

  /** Open the FIFO's write end once the reader has it open (never blocking the event loop). */
  async function openWriter(fifo: string): Promise<number> {
    for (let i = 0; ; i++) {
      try {
        return openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENXIO" || i > 500) throw e;
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  }

  /** Write all of `text` to a non-blocking FIFO, waiting while the reader drains it. */
  async function writeAll(fd: number, text: string): Promise<void> {
    const buf = Buffer.from(text);
    for (let off = 0, i = 0; off < buf.length; ) {
      try {
        off += writeSync(fd, buf, off);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EAGAIN" || ++i > 1000) throw e;
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  }

  async function json(files: string[], timeout?: number) {
    const c = io();
    const code = await runParse(files, { json: true, text: true, ...(timeout ? { timeout } : {}) }, c.io);
    return { code, parsed: JSON.parse(c.out.join("")), err: c.err.join("") };
  }

  it("a log of many chunks gives the reports of the whole text, line numbers included", async () => {
    // ~8 MB: dozens of read chunks, reports cut across chunk boundaries
    const big = Array.from({ length: 60 }, (_, i) => (i % 2 ? hung : nfsiod).replace(/\[ *([0-9]+)\./g, (_m, s: string) => `[${String(Number(s) + i * 1000).padStart(6)}.`)).join("");
    const f = join(tmp, "big.log");
    writeFileSync(f, big);
    const { code, parsed } = await json([f]);
    expect(code).toBe(0);
    expect(parsed[0].reports).toEqual(JSON.parse(JSON.stringify(parseReports(big))));
  });

  it("CR-only line ends: the same reports as with LF", async () => {
    const f = join(tmp, "cr.log");
    writeFileSync(f, nfsiod.replace(/\r/g, "").replace(/\n/g, "\r"));
    const { code, parsed } = await json([f]);
    expect(code).toBe(0);
    const want = parseReports(nfsiod.replace(/\r/g, ""));
    expect(parsed[0].reports.map((r: { title: string; startLine: number }) => [r.title, r.startLine])).toEqual(want.map((r) => [r.title, r.startLine]));
  });

  it("a syzkaller test file: the header is skipped and line numbers are the file's", async () => {
    const f = join(FIX, "syzkaller-reports", "71");
    const { parsed } = await json([f]);
    const raw = readFileSync(f, "utf8");
    expect(parsed[0].reports[0].title).toBe(parseReports(stripSyzkallerHeader(raw))[0]!.title);
    expect(parsed[0].reports[0].startLine).toBe(5);
  });

  it("a FIFO nobody opens for writing: exit 2 after the timeout, naming the FIFO", async () => {
    const fifo = join(tmp, "nobody.fifo");
    await execa("mkfifo", [fifo], { timeout: 10_000 });
    const t0 = Date.now();
    const { code, parsed, err } = await json([fifo], 0.5);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(code).toBe(2);
    expect(err).toContain(fifo);
    expect(err).toContain("no process opened the FIFO for writing");
    expect(parsed[0].reports).toEqual([]);
  });

  it("a FIFO whose writer goes quiet: exit 2 after the idle timeout, with the reports sent before", async () => {
    const fifo = join(tmp, "quiet.fifo");
    await execa("mkfifo", [fifo], { timeout: 10_000 });
    const pending = json([fifo], 1);
    const w = await openWriter(fifo);
    try {
      await writeAll(w, hung);
      const { code, parsed, err } = await pending;
      expect(code).toBe(2);
      expect(err).toContain("no data for 1 s");
      expect(parsed[0].reports.map((r: { title: string }) => r.title)).toEqual(["INFO: task hung in mnt_want_write"]);
    } finally {
      closeSync(w);
    }
  });

  it("a FIFO whose writer sends a log and closes: exit 0", async () => {
    const fifo = join(tmp, "done.fifo");
    await execa("mkfifo", [fifo], { timeout: 10_000 });
    const pending = json([fifo], 5);
    const w = await openWriter(fifo);
    await writeAll(w, nfsiod);
    closeSync(w);
    const { code, parsed } = await pending;
    expect(code).toBe(0);
    expect(parsed[0].reports).toHaveLength(2);
  });

  it("a bad --timeout is a usage error", async () => {
    await expect(runParse([real("debian-6.1-fsfreeze-hung-task.console.log")], { timeout: Number("x") }, io().io)).rejects.toThrow(/--timeout/);
  });
});
