import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseReports, type Report } from "../../../harness/detect/index.ts";
import { matchReports, matchesExpectation, type ExpectedSignature, type Expectations } from "../../../harness/match/index.ts";

const REAL = join(import.meta.dirname, "../../fixtures/real-vm");
const nfsiod = parseReports(readFileSync(join(REAL, "linux-6.12-lockdep-localio-on-nfsiod-enospc.console.log"), "utf8"));
const fsfreeze = parseReports(readFileSync(join(REAL, "debian-6.1-fsfreeze-hung-task.console.log"), "utf8"));

const flush: ExpectedSignature = { name: "flush dependency", kind: "warning", workqueues: ["nfsiod", "xfs-sync"] };
const pool: ExpectedSignature = { name: "printk under pool lock", kind: "lockdep", lockClasses: ["console_owner", "&pool->lock"] };
const hang: ExpectedSignature = { name: "frozen writer", kind: "hung-task", frames: ["mnt_want_write", "path_openat"], ordered: true, task: "^dd$" };

describe("matchesExpectation", () => {
  it("matches on workqueues, lock classes, frames and task", () => {
    expect(matchesExpectation(nfsiod[1]!, flush)).toEqual({ ok: true });
    expect(matchesExpectation(nfsiod[0]!, pool)).toEqual({ ok: true });
    expect(matchesExpectation(fsfreeze[0]!, hang)).toEqual({ ok: true });
    expect(matchesExpectation(fsfreeze[0]!, { name: "sys", frames: ["sys_openat", "__x64_sys_openat"] }).ok).toBe(true);
    expect(matchesExpectation(fsfreeze[0]!, { name: "re", anyFrames: ["/^xfs_/", "/^mnt_/"] }).ok).toBe(true);
    expect(matchesExpectation(nfsiod[1]!, { name: "sig", signature: nfsiod[1]!.signature }).ok).toBe(true);
    expect(matchesExpectation(nfsiod[1]!, { name: "wq work", workqueues: ["xfs-sync/vdb:xfs_flush_inodes_worker"] }).ok).toBe(true);
  });

  it("says why it does not match", () => {
    expect(matchesExpectation(nfsiod[0]!, flush).why).toBe("kind is lockdep, expected warning");
    expect(matchesExpectation(fsfreeze[0]!, { ...hang, frames: ["path_openat", "mnt_want_write"] }).why).toBe(
      "frame mnt_want_write is not in the expected order",
    );
    expect(matchesExpectation(fsfreeze[0]!, { ...hang, frames: ["xfs_ilock"] }).why).toBe("frame xfs_ilock is not in the report");
    expect(matchesExpectation(fsfreeze[0]!, { ...hang, task: "^cp$" }).why).toBe("task dd does not match /^cp$/");
    expect(matchesExpectation(nfsiod[0]!, { ...pool, lockClasses: ["rtnl_mutex"] }).why).toMatch(/lock class rtnl_mutex is not in the report/);
    expect(matchesExpectation(nfsiod[1]!, { name: "t", title: "^possible" }).why).toMatch(/does not match/);
    expect(matchesExpectation(fsfreeze[0]!, { name: "w", workqueues: ["nfsiod"] }).why).toBe("not a workqueue flush-dependency warning");
  });
});

describe("matchReports verdict", () => {
  const exp = (e: Partial<Expectations>): Expectations => ({ signatures: [], ...e });

  it("reproduced when an expected signature matches; other reports are listed as extras", () => {
    const r = matchReports(nfsiod, exp({ signatures: [flush] }));
    expect(r.verdict).toBe("reproduced");
    expect(r.matched).toEqual([{ expectation: "flush dependency", reportIndex: 1, title: "WARNING in check_flush_dependency" }]);
    expect(r.unexpected.map((u) => u.reportIndex)).toEqual([0]);
    expect(r.unexpected[0]!.reason).toMatch(/flush dependency: kind is lockdep, expected warning/);
    expect(r.missing).toEqual([]);
  });

  it("clean when nothing is left after ignores", () => {
    expect(matchReports([], exp({ signatures: [flush] })).verdict).toBe("clean");
    const r = matchReports(nfsiod, exp({ signatures: [hang], ignore: [pool, flush] }));
    expect(r.verdict).toBe("clean");
    expect(r.ignored).toEqual([0, 1]);
    expect(r.missing[0]!.expectation).toBe("frozen writer");
    expect(r.missing[0]!.why.map((w) => w.why)).toEqual(["kind is lockdep, expected hung-task", "kind is warning, expected hung-task"]);
  });

  it("unexpected when a report no expectation names is left", () => {
    const r = matchReports(fsfreeze, exp({ signatures: [flush] }));
    expect(r.verdict).toBe("unexpected");
    expect(r.unexpected[0]!.title).toBe("INFO: task hung in mnt_want_write");
  });

  it("a forbidden report wins over an expected one", () => {
    const r = matchReports(nfsiod, exp({ signatures: [flush], forbid: [pool] }));
    expect(r.verdict).toBe("unexpected");
    expect(r.forbidden).toEqual([{ expectation: "printk under pool lock", reportIndex: 0, title: nfsiod[0]!.title }]);
    expect(r.matched).toHaveLength(1);
  });

  it("an expected report is not ignored, a forbidden one is not ignored either", () => {
    expect(matchReports(nfsiod, exp({ signatures: [flush, pool], ignore: [pool] })).matched).toHaveLength(2);
    expect(matchReports(nfsiod, exp({ forbid: [pool], ignore: [pool, flush] })).verdict).toBe("unexpected");
  });

  it("summarizes for logs", () => {
    expect(matchReports(nfsiod, exp({ signatures: [flush, pool] })).summary).toBe("reproduced: flush dependency, printk under pool lock");
    const noisy: Report[] = [...nfsiod, ...fsfreeze];
    expect(matchReports(noisy, exp({ signatures: [flush] })).summary).toBe("reproduced: flush dependency (+2 other report(s))");
  });
});
