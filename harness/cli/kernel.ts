import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { formatMs, guarded, type EventSink } from "../common/index.ts";
import { DEFAULT_FRAGMENTS, KernelBuildError, buildKernel, listKernels, parseFragmentList, type CachedKernel } from "../kernel/index.ts";
import { ensureKernelBuildHost } from "./host-requirements.ts";
import { UsageError } from "./args.ts";
import { loadTargets } from "./load-targets.ts";

function fragmentsOption(v: string): string[] {
  try {
    return parseFragmentList(v);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** The union of the fragments scenarios name, in the default order, then any others in the order met. */
export async function fragmentsFor(files: string[]): Promise<string[]> {
  const { scenarios } = await loadTargets(files);
  const named = new Set(scenarios.flatMap((s) => s.kernel.fragments));
  if (!named.size) throw new UsageError(`${files.join(", ")}: no scenario names kernel.fragments`);
  const ordered = (DEFAULT_FRAGMENTS as readonly string[]).filter((f) => named.has(f));
  return [...ordered, ...[...named].filter((f) => !ordered.includes(f))];
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

function age(iso: string, now = Date.now()): string {
  const s = Math.max(0, (now - Date.parse(iso)) / 1000);
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

function mib(n: number): string {
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function listJson(k: CachedKernel, modules?: Record<string, string>) {
  return { ...k.meta, dir: k.dir, kernel: k.kernel, config: k.config, log: k.log, sizeBytes: k.sizeBytes, ...(modules ? { modules } : {}) };
}

export function registerKernel(program: Command, ctx: { sink: EventSink }): void {
  const kernel = program.command("kernel").description("kernels built from source with config fragments (cached by source, patches and config)");

  kernel
    .command("build")
    .description("build a kernel (Debian's linux-source-6.12 unless --source/--git) with vm-images/kconfig fragments; a cache hit is instant")
    .option("--source <dir>", "an unpacked kernel tree (copied; never modified)")
    .option("--git <dir>", "a kernel git repository (with --rev)")
    .option("--rev <rev>", "the commit, tag or branch of --git to build")
    .option("--patch <file>", "apply this patch (-p1) to a copy of the tree; repeatable, applied in order", collect, [] as string[])
    .option("--fragment <a,b,...>", "config fragments from vm-images/kconfig/, merged in order (default base,hung,lockdep,xfs,btrfs,nfs)", fragmentsOption)
    .option("--for <files...>", "the fragments the given scenarios or suites name (kernel.fragments), merged in the default order")
    .option("--rebuild", "build again even when the cache has this kernel (fresh O= directory; ccache stays warm)")
    .option("--json", "print the built kernel as JSON")
    .action(async (opts: { source?: string; git?: string; rev?: string; patch: string[]; fragment?: string[]; for?: string[]; rebuild?: boolean; json?: boolean }) => {
      if (opts.source && opts.git) throw new UsageError("give either --source DIR or --git DIR --rev REV, not both");
      if (opts.fragment && opts.for) throw new UsageError("give either --fragment or --for, not both");
      if (opts.for) opts.fragment = await fragmentsFor(opts.for);
      if (!!opts.git !== !!opts.rev) throw new UsageError("--git DIR and --rev REV go together");
      const missing = await ensureKernelBuildHost({ debianSource: !opts.source && !opts.git, git: !!opts.git }, (l) =>
        ctx.sink.emit({ type: "progress", step: "host.install", message: l }),
      );
      if (missing.length) throw new Error(`host requirements for kernel builds missing: ${missing.map((m) => m.pkg).join(", ")}`);
      const t0 = Date.now();
      try {
        // Ctrl-C kills make and its compilers (process group) and waits for that.
        const r = await guarded((signal) =>
          buildKernel({
            sink: ctx.sink,
            signal,
            ...(opts.source ? { source: opts.source } : {}),
            ...(opts.git ? { git: opts.git, rev: opts.rev } : {}),
            patches: opts.patch,
            ...(opts.fragment ? { fragments: opts.fragment } : {}),
            ...(opts.rebuild ? { rebuild: true } : {}),
          }),
        );
        if (opts.json) process.stdout.write(JSON.stringify({ ...listJson(r.kernel, r.modules), cached: r.cached }, null, 2) + "\n");
        else {
          const m = r.kernel.meta;
          process.stdout.write(
            [
              `${m.id}  ${m.version}${r.cached ? "  (cached)" : ""}`,
              `  kernel    ${r.kernel.kernel} (${mib(r.kernel.sizeBytes)})`,
              `  config    ${r.kernel.config}`,
              `  build dir ${m.buildDir}`,
              `  log       ${r.kernel.log}`,
              ...Object.entries(r.modules).map(([n, p]) => `  module    ${n}: ${p}`),
              `  (${r.cached ? `cache hit in ${formatMs(Date.now() - t0)}; built in ${m.buildSeconds} s` : `built in ${formatMs(Date.now() - t0)}`})`,
              `boot it: hangar run --kernel ${m.id} FILE...`,
            ].join("\n") + "\n",
          );
        }
      } catch (err) {
        // Bad fragments, sources and patches are exit 2, build failures exit 3: each error says which.
        if (err instanceof KernelBuildError) err.message = `kernel build failed: ${err.message}`;
        throw err;
      }
    });

  kernel
    .command("list")
    .description("list the kernels in the cache, newest first")
    .option("--json", "print them as JSON")
    .action(async (opts: { json?: boolean }) => {
      const all = await listKernels();
      if (opts.json) {
        process.stdout.write(JSON.stringify(all.map((k) => listJson(k)), null, 2) + "\n");
        return;
      }
      if (!all.length) {
        process.stdout.write("no kernels built yet (hangar kernel build)\n");
        return;
      }
      const rows = all.map((k) => [
        k.meta.id,
        k.meta.version,
        k.meta.fragments.join(","),
        k.meta.patches.map((p) => p.file.split("/").pop()).join(",") || "-",
        k.meta.source.description,
        mib(k.sizeBytes),
        age(k.meta.created),
      ]);
      const head = ["ID", "VERSION", "FRAGMENTS", "PATCHES", "SOURCE", "SIZE", "AGE"];
      const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
      const fmt = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
      process.stdout.write([fmt(head), ...rows.map(fmt)].join("\n") + "\n");
    });
}
