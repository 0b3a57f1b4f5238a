import type { Layer } from "../config/index.ts";
import { layerBuildScript, layerInspectCommand, layerTeardownScript, parseLayerOutput, stepCommand, type LayerOutput } from "../guest/index.ts";
import { lastLines } from "../common/index.ts";
import type { ExecResult } from "../vm/index.ts";
import { envName } from "./boot-plan.ts";

/** How a stage runs a guest command: with a deadline, aborted with the attempt. */
export type GuestExec = (cmd: string, timeoutMs: number) => Promise<ExecResult>;

/** One storage layer as built (or not), for storage.json and the attempt's result. */
export interface LayerRecord {
  name: string;
  type: Layer["type"];
  on: string;
  built: boolean;
  output?: LayerOutput;
  /** findmnt / losetup / dmsetup / xfs_info output right after building. */
  inspect?: string;
  buildMs?: number;
  error?: string;
  teardown?: { ok: boolean; ms: number; error?: string };
}

const BUILD_TIMEOUT_MS = 180_000;
const TEARDOWN_TIMEOUT_MS = 60_000;

/**
 * Build the layers in order, each on a scratch disk (`disks`: name → /dev/vdX) or an earlier
 * layer. Records are appended to `records` as layers are built, so a failure keeps what was done.
 */
export async function buildStorage(
  layers: readonly Layer[],
  disks: Record<string, string>,
  exec: GuestExec,
  records: LayerRecord[],
  onLayer?: (layer: Layer) => Promise<void>,
): Promise<Map<string, LayerOutput>> {
  const outputs = new Map<string, LayerOutput>(Object.entries(disks).map(([name, dev]) => [name, { dev, facts: {} }]));
  for (const [i, layer] of layers.entries()) {
    await onLayer?.(layer);
    const rec: LayerRecord = { name: layer.name, type: layer.type, on: layer.on, built: false };
    records.push(rec);
    const t0 = Date.now();
    const r = await exec(stepCommand(layerBuildScript(layer, outputs.get(layer.on)!, i), {}), BUILD_TIMEOUT_MS);
    rec.buildMs = Date.now() - t0;
    if (r.code !== 0) {
      rec.error = r.timedOut ? `timed out after ${BUILD_TIMEOUT_MS / 1000} s` : `exit ${r.code}: ${lastLines(r.stderr || r.stdout)}`;
      throw new Error(`storage layer "${layer.name}" (${layer.type} on ${layer.on}) failed: ${rec.error}`);
    }
    const out = parseLayerOutput(r.stdout);
    rec.output = out;
    rec.built = true;
    outputs.set(layer.name, out);
    const inspect = await exec(layerInspectCommand(layer, out), 30_000);
    rec.inspect = (inspect.stdout + inspect.stderr).trim();
  }
  return outputs;
}

/** Take the built layers down in reverse order; failures are recorded, not thrown. */
export async function teardownStorage(layers: readonly Layer[], records: LayerRecord[], exec: GuestExec): Promise<void> {
  for (const rec of [...records].reverse()) {
    if (!rec.built || !rec.output) continue;
    const layer = layers.find((l) => l.name === rec.name)!;
    const script = layerTeardownScript(layer, rec.output);
    if (!script) continue;
    const t0 = Date.now();
    const r = await exec(stepCommand(script, {}), TEARDOWN_TIMEOUT_MS).catch((err: Error) => ({ code: null, timedOut: false, stderr: err.message, stdout: "" }));
    const ok = r.code === 0;
    rec.teardown = { ok, ms: Date.now() - t0, ...(ok ? {} : { error: r.timedOut ? `timed out after ${TEARDOWN_TIMEOUT_MS / 1000} s` : lastLines(r.stderr || r.stdout) || `exit ${r.code}` }) };
  }
}

/** Environment for steps: HANGAR_MNT_<NAME>, HANGAR_DEV_<NAME>, HANGAR_FILE_<NAME> per built layer. */
export function storageEnvironment(outputs: Map<string, LayerOutput>, layers: readonly Layer[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const layer of layers) {
    const out = outputs.get(layer.name);
    if (!out) continue;
    if (out.mnt) env[envName("MNT", layer.name)] = out.mnt;
    if (out.dev) env[envName("DEV", layer.name)] = out.dev;
    if (out.path) env[envName("FILE", layer.name)] = out.path;
  }
  return env;
}

/** Mount point per filesystem layer, for workload steps. */
export function mountPoints(outputs: Map<string, LayerOutput>): Record<string, string> {
  return Object.fromEntries([...outputs].filter(([, o]) => o.mnt).map(([n, o]) => [n, o.mnt!]));
}
