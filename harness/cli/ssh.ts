import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { execa } from "execa";
import { EventBus } from "../common/index.ts";
import { loadScenario, scenarioSchema, stepTimeoutMs, type Scenario } from "../config/index.ts";
import { shJoin, shQuote, stepCommand, stepScript } from "../guest/index.ts";
import { buildStorage, guestSpecFor, mountPoints, prepareBoot, stepEnvironment, storageEnvironment } from "../run/index.ts";
import { Guest } from "../vm/index.ts";
import { ensureHost } from "./host-requirements.ts";
import { attachRenderer } from "./render.ts";
import { parseAccel } from "./args.ts";

/** `hangar ssh [scenario]`: boot a guest (with the scenario's disks and memory), optionally run its setup steps, open a shell. */
export function registerSsh(program: Command): void {
  program
    .command("ssh")
    .description("boot a throwaway guest and open an interactive root shell in it (the guest is destroyed on exit)")
    .argument("[scenario]", "scenario YAML whose guest resources (memory, cpus, disks) to use")
    .option("--setup", "build the scenario's storage stack and run its setup steps before the shell")
    .option("--accel <mode>", "auto, kvm or tcg", parseAccel, "auto")
    .option("--kernel <path-or-id>", "boot this bzImage, or a kernel id from `hangar kernel list`, instead of the image's kernel")
    .option("--max-time <minutes>", "tear the guest down after this long at the latest", "240")
    .option("-c, --command <cmd>", "run this command instead of an interactive shell")
    .action(async (file: string | undefined, opts: { setup?: boolean; accel: "auto" | "kvm" | "tcg"; kernel?: string; maxTime: string; command?: string }) => {
      const sc: Scenario = file
        ? await loadScenario(file)
        : { ...scenarioSchema.parse({ name: "shell", steps: [{ name: "none", run: "true" }], expect: { outcome: "clean", signatures: [] } }), file: "(none)" };
      const bus = new EventBus();
      attachRenderer(bus);
      const missing = await ensureHost(true, (l) => bus.emit({ type: "progress", step: "host.install", message: l }));
      if (missing.length) throw new Error(`host requirements missing: ${missing.map((m) => m.pkg).join(", ")}`);
      const plan = await prepareBoot({ sink: bus, accel: opts.accel, ...(opts.kernel ? { kernelPath: opts.kernel } : {}) });
      const dir = await mkdtemp(join(tmpdir(), "hangar-ssh-"));
      const guest = new Guest(guestSpecFor(sc, plan, { name: sc.name, workDir: dir, sink: bus }));
      try {
        await guest.start();
        await guest.waitSsh(180_000);
        const env = stepEnvironment(sc, 0, guest.diskDevices);
        if (opts.setup) {
          const exec = (cmd: string, timeoutMs: number) => guest.exec(cmd, { timeoutMs });
          const outputs = await buildStorage(sc.storage, guest.diskDevices, exec, []);
          Object.assign(env, storageEnvironment(outputs, sc.storage));
          for (const st of sc.steps.filter((s) => s.phase === "setup")) {
            const script = stepScript(st, mountPoints(outputs));
            const r = await guest.exec(stepCommand(script, env), { timeoutMs: stepTimeoutMs(st), onStdout: (s) => process.stdout.write(s), onStderr: (s) => process.stderr.write(s) });
            if (r.timedOut || r.code !== 0) throw new Error(`setup step "${st.name}" ${r.timedOut ? "timed out" : `exited ${r.code}`}`);
          }
        }
        // The shell sees what steps see (HANGAR_DISK_<NAME>=/dev/vdX, …); the guest is a snapshot, nothing persists.
        const profile = Object.entries(env).map(([k, v]) => `export ${k}=${shQuote(v)}`).join("\n");
        await guest.exec(`printf '%s\\n' ${shQuote(profile)} > /etc/profile.d/hangar.sh`, { timeoutMs: 15_000 });
        console.error(`guest console: ${guest.consoleLog}; disks: ${JSON.stringify(guest.diskDevices)}`);
        const args = ["-i", plan.image.sshKey, "-p", String(guest.sshPort), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "root@127.0.0.1"];
        if (opts.command) args.push("--", shJoin(["sh", "-c", `. /etc/profile.d/hangar.sh; ${opts.command}`]));
        const r = await execa("ssh", args, { stdio: "inherit", reject: false, timeout: Number(opts.maxTime) * 60_000 });
        process.exitCode = r.exitCode ?? 1;
      } finally {
        await guest.teardown();
        await rm(dir, { recursive: true, force: true });
      }
    });
}
