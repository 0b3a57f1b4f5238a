import type { z } from "zod";
import type { scenarioSchema } from "./scenario-schema.ts";
import { workloadOf } from "./step-schema.ts";
import { LAYER_IO } from "./storage-schema.ts";

type Parsed = z.output<typeof scenarioSchema>;
type Gives = "block" | "fs" | "file" | "none";

const WHAT: Record<Gives, string> = {
  block: "a block device (a disk, loop or dm-thin layer)",
  fs: "a filesystem (an xfs, btrfs or nfs-localio layer)",
  file: "a file (a file layer)",
  none: "nothing",
};

/**
 * Checks between fields that a schema cannot see: unique names, every layer built on a disk
 * or an earlier layer of the right kind, every workload on a filesystem layer.
 */
export interface ReferenceProblem {
  path: (string | number)[];
  message: string;
}

export function checkReferences(s: Parsed): ReferenceProblem[] {
  const problems: ReferenceProblem[] = [];
  const unique = (items: { name: string }[], field: (string | number)[], what: string) => {
    const seen = new Set<string>();
    items.forEach((it, i) => {
      if (seen.has(it.name)) problems.push({ path: [...field, i, "name"], message: `duplicate ${what} name "${it.name}"` });
      seen.add(it.name);
    });
  };
  unique(s.steps, ["steps"], "step");
  unique(s.guest.disks, ["guest", "disks"], "disk");

  // What each name provides, in build order: disks first, then layers as they are declared.
  const provides = new Map<string, Gives>(s.guest.disks.map((d) => [d.name, "block"]));
  s.storage.forEach((layer, i) => {
    const field = ["storage", i];
    if (provides.has(layer.name)) {
      problems.push({ path: [...field, "name"], message: `"${layer.name}" is already the name of a disk or an earlier layer` });
    }
    const below = provides.get(layer.on);
    const io = LAYER_IO[layer.type];
    if (below === undefined) {
      const known = [...provides.keys()];
      problems.push({
        path: [...field, "on"],
        message: `"${layer.on}" is not a disk or an earlier layer${known.length ? ` (known: ${known.join(", ")})` : " (declare guest.disks first)"}`,
      });
    } else if (below !== io.needs) {
      problems.push({ path: [...field, "on"], message: `a ${layer.type} layer needs ${WHAT[io.needs]}; "${layer.on}" gives ${WHAT[below]}` });
    }
    provides.set(layer.name, io.gives);
  });

  s.steps.forEach((st, i) => {
    const w = workloadOf(st);
    if (w) {
      const gives = provides.get(w.spec.layer);
      if (gives !== "fs") {
        problems.push({
          path: ["steps", i, w.kind, "layer"],
          message: gives === undefined ? `"${w.spec.layer}" is not a storage layer` : `a ${w.kind} workload needs ${WHAT.fs}; "${w.spec.layer}" gives ${WHAT[gives]}`,
        });
      }
    }
    if (st.cgroup && !s.pressure?.cgroup) {
      problems.push({ path: ["steps", i, "cgroup"], message: "cgroup: true needs pressure.cgroup" });
    }
  });
  if (s.expect.outcome === "reproduced" && s.expect.signatures.length === 0) {
    problems.push({ path: ["expect", "signatures"], message: 'expected at least one signature when expect.outcome is "reproduced"' });
  }
  return problems;
}
