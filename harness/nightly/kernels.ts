/**
 * The kernels of a night, as given with `--kernel` (repeatable):
 *   debian            the image's Debian kernel (the default when none is given)
 *   <id>              a kernel from `hangar kernel build` (id or unique prefix)
 *   <path>            a bzImage
 *   git:DIR@REV       built first from that git tree and revision (once; the kernel cache makes later nights cache hits)
 *   NAME=<any above>  the same, named NAME on the page and in the baseline (a stable name for a moving REV)
 * Each kernel has a key: the name the grid, the baseline lookup and its results folder use.
 */
import { basename, resolve } from "node:path";
import { UserInputError, type EventSink } from "../common/index.ts";
import { buildKernel } from "../kernel/index.ts";
import { slug } from "./html.ts";

export type KernelSpec = { key: string; spec: string } & ({ kind: "debian" } | { kind: "path"; path: string } | { kind: "git"; dir: string; rev: string });

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function parseKernelSpec(given: string): KernelSpec {
  let name: string | undefined;
  let spec = given;
  const eq = given.indexOf("=");
  if (eq > 0 && NAME.test(given.slice(0, eq))) {
    name = given.slice(0, eq);
    spec = given.slice(eq + 1);
  }
  if (!spec) throw new UserInputError(`--kernel ${given}: expected NAME=SPEC with a kernel after "="`);
  if (spec === "debian") return { key: name ?? "debian", spec: given, kind: "debian" };
  if (spec.startsWith("git:")) {
    const at = spec.lastIndexOf("@");
    const dir = at > 4 ? spec.slice(4, at) : "";
    const rev = at > 4 ? spec.slice(at + 1) : "";
    if (!dir || !rev) throw new UserInputError(`--kernel ${given}: expected git:DIR@REV (a kernel git tree and a commit, tag or branch)`);
    return { key: name ?? slug(`${basename(resolve(dir))}-${rev}`), spec: given, kind: "git", dir: resolve(dir), rev };
  }
  return { key: name ?? slug(basename(spec)), spec: given, kind: "path", path: spec };
}

/** Parse every --kernel; none means the Debian kernel. Two kernels with one name are a usage error. */
export function parseKernelSpecs(given: readonly string[]): KernelSpec[] {
  const specs = given.length ? given.map(parseKernelSpec) : [parseKernelSpec("debian")];
  const seen = new Map<string, string>();
  for (const k of specs) {
    const prev = seen.get(k.key);
    if (prev !== undefined) throw new UserInputError(`--kernel ${k.spec} and --kernel ${prev} are both named "${k.key}"; name one with NAME=${k.spec}`);
    seen.set(k.key, k.spec);
  }
  return specs;
}

/** What prepareBoot gets for this kernel: undefined (Debian's), a path or id, or the id of the git build. */
export async function kernelPathFor(k: KernelSpec, o: { fragments: string[]; sink: EventSink; signal: AbortSignal }): Promise<string | undefined> {
  if (k.kind === "debian") return undefined;
  if (k.kind === "path") return k.path;
  const built = await buildKernel({ git: k.dir, rev: k.rev, ...(o.fragments.length ? { fragments: o.fragments } : {}), sink: o.sink, signal: o.signal });
  return built.kernel.meta.id;
}
