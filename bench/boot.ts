/**
 * Boot benchmark: median of 3 boot-to-SSH-ready times through hangar (the attempt's boot phase)
 * next to a plain shell script that starts QEMU with the very same arguments and polls SSH.
 * Target: hangar's overhead under 5%.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { EventBus, repoRoot } from "../harness/common/index.ts";
import { scenarioSchema } from "../harness/config/index.ts";
import { kernelCommandLine, prepareBoot, startSession } from "../harness/run/index.ts";
// The plain script gets QEMU's own arguments: this benchmark measures the QEMU machine.
import { buildQemuArgs } from "../harness/vm/qemu-args.ts";
import { freePort } from "../harness/vm/ports.ts";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchBoot(runs = Number(process.env.HANGAR_BENCH_RUNS ?? 3)): Promise<void> {
  const bus = new EventBus();
  if (process.env.HANGAR_BENCH_VERBOSE) bus.on((e) => e.type === "log" && console.log(`  ${e.message}`));
  const plan = await prepareBoot({ sink: bus });
  const sc = scenarioSchema.parse({ name: "bench", steps: [{ name: "x", run: "true" }], expect: { outcome: "clean", signatures: [] } });
  const hangar: number[] = [];
  const plain: number[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = await mkdtemp(join(tmpdir(), "hangar-bench-"));
    try {
      // Alternate which goes first, so neither gets a systematically warmer host.
      const viaHangar = async () => {
        const session = await startSession({ scenario: { ...sc, name: `bench-${i}`, file: "(bench)" }, plan, sink: bus, dir: join(dir, "h") });
        hangar.push(session.ctx.facts.bootMs!);
        await session.close();
      };
      // The plain script gets the very same QEMU arguments (root snapshot, kernel, cmdline).
      const viaScript = async () => {
        const port = await freePort();
        const args = buildQemuArgs({
          accel: plan.accel,
          memoryMiB: sc.guest.memory,
          cpus: sc.guest.cpus,
          kernel: plan.kernel.kernel,
          ...(plan.kernel.initrd ? { initrd: plan.kernel.initrd } : {}),
          append: kernelCommandLine(plan, sc.guest.cmdline),
          disks: [{ path: plan.image.rootfs, id: "root", snapshot: true }],
          consoleLog: join(dir, "plain-console.log"),
          sshPort: port,
        });
        const argsFile = join(dir, "args.txt");
        await writeFile(argsFile, args.join("\n") + "\n");
        const r = await execa(join(repoRoot, "bench", "plain-boot.sh"), [argsFile, String(port), plan.image.sshKey, "300"], { timeout: 360_000 });
        plain.push(Number(r.stdout.trim()));
      };
      if (i % 2 === 0) {
        await viaHangar();
        await viaScript();
      } else {
        await viaScript();
        await viaHangar();
      }
      console.log(`run ${i + 1}/${runs}: hangar ${hangar.at(-1)} ms, plain ${plain.at(-1)} ms`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  const h = median(hangar);
  const p = median(plain);
  console.log(`boot-to-SSH (${plan.accel}, kernel ${plan.kernel.version}, image ${plan.image.id}), median of ${runs}:`);
  console.log(`  hangar: ${(h / 1000).toFixed(2)} s   plain script: ${(p / 1000).toFixed(2)} s   ratio hangar/plain: ${(h / p).toFixed(3)}  (overhead ${(((h - p) / p) * 100).toFixed(1)}%, target < 5%)`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await benchBoot();
