/** Real kernel reports from the real-guest fixtures, without their timestamps, for a fake machine to print. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../../harness/common/index.ts";

function excerpt(file: string, from: number, to: number): string[] {
  const lines = readFileSync(join(repoRoot, "test/fixtures/real-vm", file), "utf8").split("\n");
  return lines.slice(from - 1, to).map((l) => l.replace(/^\[\s*\d+\.\d+\]\s?/, ""));
}

/** INFO: task dd blocked… in mnt_want_write (Debian 6.1, fsfreeze canary). */
export const HUNG_TASK = excerpt("debian-6.1-fsfreeze-hung-task.console.log", 650, 679);

/** WARNING in check_flush_dependency (nfsiod flushing xfs-sync; report 004's known-bad kernel). */
export const FLUSH_WARNING = excerpt("linux-6.12-lockdep-localio-on-nfsiod-enospc.console.log", 798, 829);
