import { readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventBus, repoRoot, type TimedEvent } from "../../harness/common/index.ts";
import { ensureHost } from "../../harness/cli/host-requirements.ts";
import { ResultStore } from "../../harness/results/index.ts";
import { prepareBoot, type BootPlan } from "../../harness/run/index.ts";

/** Real-guest tests share one boot plan: the default image (built on first use) and the probed accelerator. */
export async function realBootPlan(): Promise<{ plan: BootPlan; bus: EventBus; events: TimedEvent[] }> {
  const bus = new EventBus();
  const events: TimedEvent[] = [];
  bus.on((e) => {
    events.push(e);
    if (process.env.HANGAR_TEST_VERBOSE || e.type === "step" || e.type === "verdict") {
      process.stderr.write(`[e2e] ${JSON.stringify(e)}\n`);
    }
  });
  const missing = await ensureHost(true, (l) => process.stderr.write(`[e2e] install: ${l}\n`));
  if (missing.length) throw new Error(`host requirements missing: ${missing.map((m) => m.pkg).join(", ")}`);
  const plan = await prepareBoot({ sink: bus });
  return { plan, bus, events };
}

export async function tempStore(): Promise<ResultStore> {
  const root = await mkdtemp(join(tmpdir(), "hangar-results-"));
  const store = new ResultStore(root);
  await store.init();
  return store;
}

export const workload = (name: string) => join(repoRoot, "workloads", name);

/** True when a process with this pid exists and is not a zombie waiting to be reaped. */
export function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 3, after the parenthesised command name, is the state.
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}
