import { readFile, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { z } from "zod";
import { ConfigError, describeIssues, duplicateKeys, fieldName, lineOf, parseYamlWithSource } from "./errors.ts";
import { checkReferences } from "./references.ts";
import { checkHostLimits, hostLimits, type HostLimits } from "./host-limits.ts";
import { scenarioSchema, suiteSchema, type Scenario, type Suite } from "./scenario-schema.ts";

/** Scenario and suite files are small: anything bigger is a mistake (or hostile), refused before parsing. */
export const MAX_FILE_BYTES = 1024 * 1024;
/** YAML aliases expanded at most this many times (an alias bomb grows exponentially). */
export const MAX_ALIAS_COUNT = 100;

type Doc = ReturnType<typeof parseYamlWithSource>;

async function readYaml(file: string): Promise<{ data: unknown; doc: Doc }> {
  let text: string;
  try {
    const st = await stat(file);
    if (st.isFile() && st.size > MAX_FILE_BYTES) {
      throw new ConfigError(file, [{ field: "(file)", message: `${st.size} bytes; a scenario or suite file may be at most ${MAX_FILE_BYTES} bytes` }]);
    }
    if (!st.isFile()) throw new ConfigError(file, [{ field: "(file)", message: "not a regular file" }]);
    text = await readFile(file, "utf8");
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(file, [{ field: "(file)", message: `cannot read: ${(err as Error).message}` }]);
  }
  let doc: Doc;
  let data: unknown;
  try {
    doc = parseYamlWithSource(text);
    if (doc.errors.length) {
      throw new ConfigError(
        file,
        doc.errors.map((e) => ({ field: "(yaml syntax)", message: e.message.split("\n")[0]!, ...(e.linePos?.[0]?.line ? { line: e.linePos[0].line } : {}) })),
      );
    }
    const dups = duplicateKeys(doc);
    if (dups.length) throw new ConfigError(file, dups);
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const msg = (err as Error).message ?? String(err);
    const why = /alias/i.test(msg)
      ? `too many YAML alias expansions (at most ${MAX_ALIAS_COUNT}): ${msg}`
      : err instanceof RangeError
        ? `nested too deeply to read (${msg})`
        : msg;
    throw new ConfigError(file, [{ field: "(yaml)", message: why }]);
  }
  const nul = stringsWithNul(data);
  if (nul.length) {
    throw new ConfigError(file, nul.map((path) => ({ field: fieldName(path), message: "contains a NUL byte (\\0), which no guest command or file name can carry", ...lineOf(doc, path) })));
  }
  return { data, doc };
}

/** Paths of every string (value or key) holding a NUL byte. */
function stringsWithNul(data: unknown): PropertyKey[][] {
  const out: PropertyKey[][] = [];
  const walk = (v: unknown, path: PropertyKey[]): void => {
    if (out.length >= 100) return;
    if (typeof v === "string") {
      if (v.includes("\0")) out.push(path);
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        if (k.includes("\0")) out.push([...path, k]);
        walk(x, [...path, k]);
      }
    }
  };
  walk(data, []);
  return out;
}

function validate<S extends z.ZodType>(schema: S, file: string, data: unknown, doc: Doc): z.output<S> {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  throw new ConfigError(file, describeIssues(r.error.issues, doc, (path) => keysAt(schema, path, data)));
}

let cachedHost: Promise<HostLimits> | undefined;

export interface LoadOptions {
  /** The host the scenario will run on (default: this one). */
  host?: HostLimits;
}

function scenarioFrom(file: string, data: unknown, doc: Doc, host: HostLimits): Scenario {
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new ConfigError(file, [{ field: "(top level)", message: "expected a mapping with at least name, steps and expect" }]);
  }
  const s = validate(scenarioSchema, file, data, doc);
  const problems = [...checkReferences(s), ...checkHostLimits(s, host)].map((p) => ({ field: fieldName(p.path), message: p.message, ...lineOf(doc, p.path) }));
  if (problems.length) throw new ConfigError(file, problems);
  return { ...s, file: resolve(file) };
}

function suiteFrom(file: string, data: unknown, doc: Doc): Suite {
  const s = validate(suiteSchema, file, data, doc);
  return { ...s, file: resolve(file), scenarios: s.scenarios.map((p) => resolve(dirname(file), p)) };
}

function looksLikeSuite(data: unknown): boolean {
  return !!data && typeof data === "object" && Array.isArray((data as Record<string, unknown>).scenarios);
}

export async function loadScenario(file: string, o: LoadOptions = {}): Promise<Scenario> {
  const { data, doc } = await readYaml(file);
  return scenarioFrom(file, data, doc, o.host ?? (await (cachedHost ??= hostLimits())));
}

export async function loadSuite(file: string): Promise<Suite> {
  const { data, doc } = await readYaml(file);
  return suiteFrom(file, data, doc);
}

/** A YAML file is a suite when it has a top-level `scenarios:` list. */
export async function isSuiteFile(file: string): Promise<boolean> {
  const { data } = await readYaml(file);
  return looksLikeSuite(data);
}

/** Read a scenario or suite file once (a suite has a top-level `scenarios:` list) and validate it. */
export async function loadConfigFile(file: string, o: LoadOptions = {}): Promise<{ kind: "suite"; suite: Suite } | { kind: "scenario"; scenario: Scenario }> {
  const { data, doc } = await readYaml(file);
  if (looksLikeSuite(data)) return { kind: "suite", suite: suiteFrom(file, data, doc) };
  return { kind: "scenario", scenario: scenarioFrom(file, data, doc, o.host ?? (await (cachedHost ??= hostLimits()))) };
}

/** The field names a schema accepts at a path (for "did you mean" hints). */
export function keysAt(schema: z.ZodType, path: readonly PropertyKey[], data?: unknown): string[] {
  let node: unknown = schema;
  let value: unknown = data;
  const unwrap = (n: unknown): unknown => {
    for (let i = 0; i < 20; i++) {
      const def = (n as { _zod?: { def?: Record<string, unknown> } })?._zod?.def;
      if (!def) return n;
      if (def.type === "default" || def.type === "optional" || def.type === "nullable" || def.type === "prefault") n = def.innerType;
      else if (def.type === "pipe") n = def.in;
      else return n;
    }
    return n;
  };
  const shapeOf = (n: unknown, v: unknown): Record<string, unknown> | undefined => {
    const def = (unwrap(n) as { _zod?: { def?: Record<string, unknown> } })?._zod?.def;
    if (def?.type === "object") return def.shape as Record<string, unknown>;
    if (def?.type === "intersection") return { ...shapeOf(def.left, v), ...shapeOf(def.right, v) };
    if (def?.type === "union") {
      // A discriminated union: the branch whose discriminator the data names (e.g. a layer's `type`).
      const options = def.options as unknown[];
      const disc = def.discriminator as string | undefined;
      const tag = disc && v && typeof v === "object" ? (v as Record<string, unknown>)[disc] : undefined;
      const branch = options.find((o) => {
        const lit = (unwrap(shapeOf(o, undefined)?.[disc ?? ""]) as { _zod?: { def?: { values?: unknown[] } } })?._zod?.def?.values;
        return tag !== undefined && lit?.includes(tag);
      });
      return branch ? shapeOf(branch, v) : undefined;
    }
    return undefined;
  };
  for (const key of path) {
    const u = unwrap(node);
    const def = (u as { _zod?: { def?: Record<string, unknown> } })?._zod?.def;
    if (typeof key === "number" && def?.type === "array") node = def.element;
    else node = shapeOf(u, value)?.[String(key)];
    value = value && typeof value === "object" ? (value as Record<PropertyKey, unknown>)[key] : undefined;
    if (!node) return [];
  }
  return Object.keys(shapeOf(node, value) ?? {});
}
