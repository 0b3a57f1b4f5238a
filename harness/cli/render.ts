import type { EventBus, TimedEvent } from "../common/index.ts";
import { formatMs } from "../common/index.ts";

/**
 * Renders the event stream on stderr for people: steps with elapsed times, progress lines
 * (rate-limited), phases, reports as they are detected, verdicts.
 */
export function attachRenderer(bus: EventBus, opts: { verbose?: boolean; quiet?: boolean } = {}): () => void {
  const t0 = Date.now();
  let lastProgress = 0;
  const stamp = (e: TimedEvent) => `[${((e.t - t0) / 1000).toFixed(1).padStart(6)}s]`;
  const out = (s: string) => process.stderr.write(s + "\n");
  return bus.on((e) => {
    if (opts.quiet && e.type !== "verdict" && !(e.type === "log" && e.level === "error")) return;
    switch (e.type) {
      case "step":
        if (e.status === "start") out(`${stamp(e)} ▶ ${e.step}${e.detail ? ` (${e.detail})` : ""}`);
        else out(`${stamp(e)} ${e.status === "done" ? "✓" : "✗"} ${e.step}${e.elapsedMs !== undefined ? ` in ${formatMs(e.elapsedMs)}` : ""}${e.detail ? ` — ${e.detail}` : ""}`);
        break;
      case "progress": {
        // Tool output can be thousands of lines: show at most a few per second unless verbose.
        if (!opts.verbose && e.t - lastProgress < 1_000) break;
        lastProgress = e.t;
        out(`${stamp(e)}   ${e.step}: ${e.message.slice(0, 160)}`);
        break;
      }
      case "log":
        if (e.level === "debug" && !opts.verbose) break;
        out(`${stamp(e)} ${e.level === "info" ? "" : e.level + ": "}${e.message}`);
        break;
      case "phase":
        out(`${stamp(e)}   ${e.guest}: phase ${e.phase}`);
        break;
      case "report":
        out(`${stamp(e)} ⚠ ${e.guest}: kernel report: ${e.title}`);
        break;
      case "verdict":
        out(`${stamp(e)} ● ${e.scenario}${e.attempt !== undefined ? ` attempt ${e.attempt}` : ""}: ${e.verdict}${e.detail ? ` (${e.detail})` : ""}`);
        break;
    }
  });
}
