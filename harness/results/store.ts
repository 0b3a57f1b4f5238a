import { appendFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic, writeJsonAtomic, type EventBus } from "../common/index.ts";
import { FILES, attemptDir, newRunId, runDir } from "./layout.ts";
import { toJUnit } from "./junit.ts";
import { toHtml } from "./html.ts";
import type { RunSummary } from "./types.ts";

/** Writes one run's results. JSON files are written atomically. */
export class ResultStore {
  readonly runId: string;
  readonly dir: string;

  constructor(
    readonly root: string,
    runId?: string,
  ) {
    this.runId = runId ?? newRunId();
    this.dir = runDir(root, this.runId);
  }

  async init(bus?: EventBus): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    if (bus) {
      const file = join(this.dir, FILES.events);
      // Serialise appends so the log keeps event order.
      let chain = Promise.resolve();
      bus.on((e) => {
        chain = chain.then(() => appendFile(file, JSON.stringify(e) + "\n")).catch(() => {});
      });
    }
  }

  attemptDir(scenario: string, attempt: number): string {
    return attemptDir(this.root, this.runId, scenario, attempt);
  }

  async writeSummary(s: RunSummary): Promise<void> {
    await writeJsonAtomic(join(this.dir, FILES.summary), s);
    await writeFileAtomic(join(this.dir, FILES.junit), toJUnit(s));
    await writeFileAtomic(join(this.dir, FILES.html), toHtml(s));
  }
}
