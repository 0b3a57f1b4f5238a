/**
 * Ctrl-C and SIGTERM in a real child process: killers run at once, guarded work sees the
 * signal and finishes its cleanup, then the process exits 130 / 143; a second signal after the
 * grace forces the exit.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../../harness/common/index.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hangar-shutdown-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// As the hangar launcher runs it: node with tsx's loader, no wrapper process in between.
const loader = `file://${join(repoRoot, "node_modules", "tsx", "dist", "loader.mjs")}`;

/** A script that registers a killer and a guarded task, says "ready", and records what ran. */
async function script(cleanupMs: number): Promise<string> {
  const file = join(dir, `child-${cleanupMs}.mts`);
  const log = join(dir, `log-${cleanupMs}.txt`);
  await writeFile(
    file,
    `import { appendFileSync } from "node:fs";
import { guarded, onShutdownKill } from ${JSON.stringify(join(repoRoot, "harness/common/index.ts"))};
const log = (s: string) => appendFileSync(${JSON.stringify(log)}, s + "\\n");
onShutdownKill(() => log("killer"));
// Something to wait for, as a real guest or build would be (an idle loop would end node at once).
setInterval(() => {}, 1_000);
await guarded(async (signal) => {
  console.log("ready");
  await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
  log("aborted");
  await new Promise((r) => setTimeout(r, ${cleanupMs}));
  log("cleaned up");
});
log("after guarded");
`,
  );
  return file;
}

async function runAndSignal(cleanupMs: number, sig: "SIGINT" | "SIGTERM", again = false) {
  const child = execa("node", ["--import", loader, await script(cleanupMs)], { reject: false, timeout: 60_000 });
  // Ready, or gone without getting there (then the assertions below say why).
  await new Promise<void>((resolve) => {
    child.stdout!.on("data", (d: Buffer) => d.toString().includes("ready") && resolve());
    void child.finally(() => resolve());
  });
  child.kill(sig);
  if (again) setTimeout(() => child.kill(sig), 2_500);
  const r = await child;
  const log = await readFile(join(dir, `log-${cleanupMs}.txt`), "utf8").catch(() => "");
  return { code: r.exitCode, log: log.trim().split("\n") };
}

describe("shutdown", () => {
  it("SIGINT: the killer runs, the guarded work cleans up, exit 130", async () => {
    const { code, log } = await runAndSignal(200, "SIGINT");
    expect(code).toBe(130);
    // The killers run again at exit: they are idempotent by design.
    expect(log.slice(0, 3)).toEqual(["killer", "aborted", "cleaned up"]);
  }, 60_000);

  it("SIGTERM: exit 143 after the cleanup", async () => {
    const { code, log } = await runAndSignal(201, "SIGTERM");
    expect(code).toBe(143);
    expect(log.slice(0, 3)).toEqual(["killer", "aborted", "cleaned up"]);
  }, 60_000);

  it("a second signal more than 2 s later forces the exit before a slow cleanup ends", async () => {
    const { code, log } = await runAndSignal(20_000, "SIGINT", true);
    expect(code).toBe(130);
    expect(log).toContain("aborted");
    expect(log).not.toContain("cleaned up");
  }, 60_000);
});
