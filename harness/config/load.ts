import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { z } from "zod";
import { ConfigError, describeIssues, fieldName, lineOf, parseYamlWithSource } from "./errors.ts";
import { checkReferences } from "./references.ts";
import { scenarioSchema, suiteSchema, type Scenario, type Suite } from "./scenario-schema.ts";

async function readYaml(file: string): Promise<{ data: unknown; doc: ReturnType<typeof parseYamlWithSource> }> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new ConfigError(file, [{ field: "(file)", message: `cannot read: ${(err as Error).message}` }]);
  }
  const doc = parseYamlWithSource(text);
  if (doc.errors.length) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({ field: "(yaml syntax)", message: e.message.split("\n")[0]!, line: e.linePos?.[0]?.line })),
    );
  }
  return { data: doc.toJS(), doc };
}

function validate<S extends z.ZodType>(schema: S, file: string, data: unknown, doc: ReturnType<typeof parseYamlWithSource>): z.output<S> {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  throw new ConfigError(file, describeIssues(r.error.issues, doc, (path) => keysAt(schema, path, data)));
}

export async function loadScenario(file: string): Promise<Scenario> {
  const { data, doc } = await readYaml(file);
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new ConfigError(file, [{ field: "(top level)", message: "expected a mapping with at least name, steps and expect" }]);
  }
  const s = validate(scenarioSchema, file, data, doc);
  const problems = checkReferences(s).map((p) => ({ field: fieldName(p.path), message: p.message, ...lineOf(doc, p.path) }));
  if (problems.length) throw new ConfigError(file, problems);
  return { ...s, file: resolve(file) };
}

export async function loadSuite(file: string): Promise<Suite> {
  const { data, doc } = await readYaml(file);
  const s = validate(suiteSchema, file, data, doc);
  return { ...s, file: resolve(file), scenarios: s.scenarios.map((p) => resolve(dirname(file), p)) };
}

/** A YAML file is a suite when it has a top-level `scenarios:` list. */
export async function isSuiteFile(file: string): Promise<boolean> {
  const { data } = await readYaml(file);
  return !!data && typeof data === "object" && Array.isArray((data as Record<string, unknown>).scenarios);
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
