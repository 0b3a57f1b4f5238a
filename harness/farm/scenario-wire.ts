/**
 * A scenario on the wire: a document that the worker validates with the same schema
 * (`scenarioSchema`) the coordinator loaded it with, and that parses to exactly the scenario
 * the coordinator holds (durations already scaled by the time factor).
 *
 * A parsed scenario is not valid input as it is: durations are milliseconds after parsing but a
 * bare number means seconds in a file. So the encoder writes such fields as "<n>ms" — it finds
 * them by parsing and comparing, not by a list of fields that could go stale — and refuses to
 * send anything that does not parse back to the same value.
 */
import { createHash } from "node:crypto";
import { checkHostLimits, hostLimits, scenarioSchema, type Scenario } from "../config/index.ts";
import { HangarError, UserInputError } from "../common/index.ts";

export interface WireScenario {
  name: string;
  /** The scenario's file on the coordinator (for the summary; workers never open it). */
  file: string;
  /** Scenario document, as in a scenario file. */
  input: unknown;
  /** sha256 of the JSON of `input`: a resubmitted job must carry the same scenario. */
  sha256: string;
}

type Path = (string | number)[];
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const toJson = (v: unknown): Json => JSON.parse(JSON.stringify(v)) as Json;

function at(root: Json, path: Path): Json | undefined {
  let v: Json | undefined = root;
  for (const k of path) v = v && typeof v === "object" ? (v as Record<string | number, Json>)[k] : undefined;
  return v;
}

function setAt(root: Json, path: Path, value: Json): void {
  let v = root as Record<string | number, Json>;
  for (const k of path.slice(0, -1)) v = v[k] as Record<string | number, Json>;
  v[path[path.length - 1]!] = value;
}

/** Paths where two JSON values differ (a leaf, or where their shapes part). */
function differences(a: Json, b: Json, path: Path = [], out: Path[] = []): Path[] {
  if (out.length > 200) return out;
  if (a && b && typeof a === "object" && typeof b === "object" && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      const key = Array.isArray(a) ? Number(k) : k;
      differences((a as Record<string, Json>)[k] ?? null, (b as Record<string, Json>)[k] ?? null, [...path, key], out);
    }
  } else if (JSON.stringify(a) !== JSON.stringify(b)) out.push(path);
  return out;
}

/** Paths of a failed parse's issues, including those inside union branches. */
function issuePaths(issues: readonly { path: PropertyKey[]; errors?: unknown }[], prefix: Path = []): Path[] {
  const out: Path[] = [];
  for (const i of issues) {
    const p = [...prefix, ...(i.path as Path)];
    out.push(p);
    if (Array.isArray(i.errors)) for (const branch of i.errors) out.push(...issuePaths(branch as typeof issues, p));
  }
  return out;
}

const sha256 = (v: unknown) => createHash("sha256").update(JSON.stringify(v)).digest("hex");

/** The scenario as a document the schema parses back to the same scenario; throws when it cannot be made. */
export function toWireScenario(sc: Scenario): WireScenario {
  const { file, ...parsed } = sc;
  const want = toJson(parsed);
  const input = toJson(parsed);
  for (let round = 0; round < 50; round++) {
    const r = scenarioSchema.safeParse(input);
    const suspects = r.success ? differences(toJson(r.data), want) : issuePaths(r.error.issues as never);
    if (r.success && !suspects.length) return { name: sc.name, file, input, sha256: sha256(input) };
    // A millisecond count read as seconds: say it in milliseconds.
    let changed = 0;
    for (const p of suspects) {
      const v = at(input, p);
      if (typeof v === "number" && typeof at(want, p) === "number") {
        setAt(input, p, `${v}ms`);
        changed++;
      }
    }
    if (!changed) {
      const what = r.success ? suspects.map((p) => p.join(".")).join(", ") : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
      throw new HangarError(`scenario ${sc.name} (${file}): cannot be sent to a worker: it does not parse back to itself at ${what}`);
    }
  }
  throw new HangarError(`scenario ${sc.name} (${file}): cannot be sent to a worker (no stable encoding)`);
}

/**
 * The worker's side: validate the document with the scenario schema and this host's limits
 * (memory, CPUs). A bad document is the coordinator's input error, named with the file it came from.
 */
export async function fromWireScenario(w: WireScenario, o: { checkHost?: boolean } = {}): Promise<Scenario> {
  if (sha256(w.input) !== w.sha256) throw new UserInputError(`scenario ${w.name} (${w.file}): its sha256 does not match its document (damaged in transit?)`);
  const r = scenarioSchema.safeParse(w.input);
  if (!r.success) {
    throw new UserInputError(`scenario ${w.name} (${w.file}), as sent by the coordinator: ${r.error.issues.map((i) => `${i.path.join(".") || "(top level)"}: ${i.message}`).join("; ")}`);
  }
  if (r.data.name !== w.name) throw new UserInputError(`scenario ${w.name} (${w.file}): the document names "${r.data.name}"`);
  const limits = o.checkHost === false ? [] : checkHostLimits(r.data, await hostLimits());
  if (limits.length) throw new UserInputError(`scenario ${w.name} (${w.file}) does not fit this worker: ${limits.map((p) => `${p.path.join(".")}: ${p.message}`).join("; ")}`);
  return { ...r.data, file: w.file };
}
