/**
 * Kernel benchmark (`npm run bench:kernel`): cold build time, ccache-warm rebuild time and
 * boot-to-SSH time of the default kernel (base,hung,lockdep,xfs,btrfs,nfs of Debian's
 * linux-source-6.12). Prints figures, asserts nothing.
 *
 * - cold: taken from meta.json of the cached build; with HANGAR_BENCH_KERNEL_COLD=1 the
 *   ccache is cleared and the kernel rebuilt (20+ minutes on 2 cores).
 * - warm: `hangar kernel build --rebuild` into a fresh O= directory with the ccache warm.
 * - boot: median of HANGAR_BENCH_RUNS (3) boots to SSH ready (the attempt's boot phase).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { EventBus } from "../harness/common/index.ts";
import { ensureHost, ensureKernelBuildHost } from "../harness/cli/host-requirements.ts";
import { scenarioSchema } from "../harness/config/index.ts";
import { buildKernel, ccacheDir, type KernelBuildResult } from "../harness/kernel/index.ts";
import { prepareBoot, startSession } from "../harness/run/index.ts";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const min = (s: number) => `${(s / 60).toFixed(1)} min (${s} s)`;

async function ccacheStats(): Promise<string> {
  const r = await execa("ccache", ["--print-stats"], { env: { CCACHE_DIR: ccacheDir() }, reject: false, timeout: 30_000 });
  const get = (k: string) => Number(new RegExp(`^${k}\\t(\\d+)$`, "m").exec(String(r.stdout))?.[1] ?? 0);
  const hits = get("direct_cache_hit") + get("preprocessed_cache_hit");
  const misses = get("cache_miss");
  return `${hits} hits, ${misses} misses`;
}

async function zeroCcache(): Promise<void> {
  await execa("ccache", ["--zero-stats"], { env: { CCACHE_DIR: ccacheDir() }, reject: false, timeout: 30_000 });
}

export async function benchKernel(runs = Number(process.env.HANGAR_BENCH_RUNS ?? 3)): Promise<void> {
  const bus = new EventBus();
  bus.on((e) => {
    if (process.env.HANGAR_BENCH_VERBOSE || (e.type === "step" && e.status !== "start")) console.log(`  ${JSON.stringify(e)}`);
  });
  const missing = await ensureKernelBuildHost({ debianSource: true, git: false }, (l) => console.log(`  install: ${l}`));
  if (missing.length) throw new Error(`missing: ${missing.map((m) => m.pkg).join(", ")}`);

  let built: KernelBuildResult;
  if (process.env.HANGAR_BENCH_KERNEL_COLD) {
    await execa("ccache", ["--clear"], { env: { CCACHE_DIR: ccacheDir() }, timeout: 10 * 60_000 });
    await zeroCcache();
    built = await buildKernel({ sink: bus, rebuild: true });
    console.log(`cold build (ccache cleared, just now): ${min(built.kernel.meta.buildSeconds)}; make alone ${min(built.kernel.meta.makeSeconds)}; ccache ${await ccacheStats()}`);
  } else {
    built = await buildKernel({ sink: bus });
    const m = built.kernel.meta;
    console.log(`${built.cached ? "build of the cached kernel" : "build (was not cached, just now)"} ${m.id}, ${m.created}: ${min(m.buildSeconds)}; make alone ${min(m.makeSeconds)}`);
    console.log(`  (a cold figure needs a build with an empty ccache: HANGAR_BENCH_KERNEL_COLD=1 npm run bench:kernel)`);
  }

  await zeroCcache();
  const warm = await buildKernel({ sink: bus, rebuild: true });
  console.log(`ccache-warm rebuild into a fresh O= dir: ${min(warm.kernel.meta.buildSeconds)}; make alone ${min(warm.kernel.meta.makeSeconds)}; ccache ${await ccacheStats()}`);

  const hostMissing = await ensureHost(true, (l) => console.log(`  install: ${l}`));
  if (hostMissing.length) throw new Error(`missing: ${hostMissing.map((m) => m.pkg).join(", ")}`);
  const plan = await prepareBoot({ sink: bus, kernelPath: warm.kernel.meta.id });
  const sc = scenarioSchema.parse({ name: "bench-kernel", steps: [{ name: "x", run: "true" }], expect: { outcome: "clean", signatures: [] } });
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = await mkdtemp(join(tmpdir(), "hangar-bench-kernel-"));
    try {
      const session = await startSession({ scenario: { ...sc, name: `bench-kernel-${i}`, file: "(bench)" }, plan, sink: bus, dir });
      times.push(session.ctx.facts.bootMs!);
      await session.close();
      console.log(`boot ${i + 1}/${runs}: ${times.at(-1)} ms`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  console.log(`boot-to-SSH of ${plan.kernel.version} (${plan.accel}), median of ${runs}: ${(median(times) / 1000).toFixed(2)} s`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await benchKernel();
