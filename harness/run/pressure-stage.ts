import type { Pressure } from "../config/index.ts";
import {
  cgroupSetupScript,
  parseSnapshot,
  PRESSURE_STOP_COMMAND,
  pressureEvidence,
  pressureStartCommand,
  pressureSysctls,
  SAMPLES_COMMAND,
  SNAPSHOT_COMMAND,
  stepCommand,
  sysctlCommand,
  type PressureEvidence,
  type Snapshot,
} from "../guest/index.ts";
import { lastLines } from "../common/index.ts";
import type { GuestExec } from "./storage-stage.ts";

/**
 * The workload phase's memory pressure: started before the first workload step, stopped after
 * the last, with a snapshot of the kernel's counters on each side and a sampler in between.
 * Evidence is gathered for every attempt, with or without pressure asked.
 */
export class PressureStage {
  private before?: Snapshot;
  private startedAt = 0;
  private running = false;

  constructor(
    private readonly pressure: Pressure | undefined,
    private readonly exec: GuestExec,
  ) {}

  async start(): Promise<void> {
    const p = this.pressure;
    const sysctl = sysctlCommand(pressureSysctls(p));
    if (sysctl) await this.must(sysctl, "pressure sysctls");
    if (p?.cgroup) await this.must(stepCommand(cgroupSetupScript(p.cgroup), {}), "pressure cgroup");
    this.before = parseSnapshot((await this.must(SNAPSHOT_COMMAND, "pressure snapshot")).stdout);
    await this.must(pressureStartCommand(p), "pressure loops");
    this.running = true;
    this.startedAt = Date.now();
  }

  /** Stop the loops and compute the evidence (undefined when start() never completed). */
  async stop(): Promise<PressureEvidence | undefined> {
    if (!this.running || !this.before) return undefined;
    this.running = false;
    const durationMs = Date.now() - this.startedAt;
    await this.exec(PRESSURE_STOP_COMMAND, 30_000);
    const after = parseSnapshot((await this.must(SNAPSHOT_COMMAND, "pressure snapshot")).stdout);
    const samples = (await this.exec(SAMPLES_COMMAND, 30_000)).stdout;
    return pressureEvidence(this.before, after, samples, { asked: this.pressure !== undefined, durationMs });
  }

  private async must(cmd: string, what: string) {
    const r = await this.exec(cmd, 60_000);
    if (r.code !== 0) throw new Error(`${what} failed: ${r.timedOut ? "timed out" : lastLines(r.stderr || `exit ${r.code}`, 2)}`);
    return r;
  }
}
