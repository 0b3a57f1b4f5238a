/** `--kernel ID`: an exact cache id or a unique prefix of one. Pure. */

import { UserInputError } from "../common/errors.ts";

/** `--kernel X` names no kernel (or several): a usage error (exit 2). */
export class KernelIdError extends UserInputError {}

export function resolveIdPrefix(query: string, ids: readonly string[]): string {
  const q = query.trim().toLowerCase();
  if (!/^[0-9a-f]+$/.test(q)) throw new KernelIdError(`"${query}" is not a kernel id (expected hex digits of an id from \`hangar kernel list\`)`);
  if (ids.includes(q)) return q;
  const hits = ids.filter((id) => id.startsWith(q));
  if (hits.length === 1) return hits[0]!;
  if (!hits.length) {
    const known = ids.length ? `built kernels: ${ids.join(", ")}` : "no kernel is built yet (hangar kernel build)";
    throw new KernelIdError(`no kernel "${query}" in the cache; ${known}`);
  }
  throw new KernelIdError(`"${query}" matches ${hits.length} kernels (${hits.join(", ")}); give more characters of the id`);
}
