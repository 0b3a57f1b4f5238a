import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { execa } from "execa";
import { EventBus, guarded, timeout } from "../common/index.ts";
import { loadScenario, scenarioSchema, type Scenario } from "../config/index.ts";
import { shJoin, shQuote } from "../guest/index.ts";
import { prepareBoot, startSession } from "../run/index.ts";
import { QemuMachine } from "../vm/index.ts";
import { ensureHost } from "./host-requirements.ts";
import { attachRenderer } from "./render.ts";
import { parseAccel, parsePositiveInt } from "./args.ts";

/** `hangar ssh [scenario]`: boot a guest (with the scenario's disks and memory), optionally run its setup steps, open a shell. */
export function registerSsh(program: Command): void {
  program
    .command("ssh")
    .description("boot a throwaway guest and open an interactive root shell in it (the guest is destroyed on exit)")
    .argument("[scenario]", "scenario YAML whose guest resources (memory, cpus, disks) to use")
    .option("--setup", "build the scenario's storage stack and run its setup steps before the shell")
    .option("--accel <mode>", "auto, kvm or tcg", parseAccel, "auto")
    .option("--kernel <path-or-id>", "boot this bzImage, or a kernel id from `hangar kernel list`, instead of the image's kernel")
    .option("--max-time <minutes>", "tear the guest down after this long at the latest", parsePositiveInt, 240)
    .option("-c, --command <cmd>", "run this command instead of an interactive shell")
    .option("-v, --verbose", "show debug messages")
    .action(async (file: string | undefined, opts: { setup?: boolean; accel: "auto" | "kvm" | "tcg"; kernel?: string; maxTime: number; command?: string; verbose?: boolean }) => {
      const base: Scenario = file
        ? await loadScenario(file)
        : { ...scenarioSchema.parse({ name: "shell", steps: [{ name: "none", run: "true" }], expect: { outcome: "clean", signatures: [] } }), file: "(none)" };
      // The guest lives as long as the shell may; the scenario's own attempt deadline does not apply.
      const sc: Scenario = { ...base, deadline: opts.maxTime * 60_000 + timeout("boot") };
      const bus = new EventBus();
      attachRenderer(bus, { verbose: !!opts.verbose });
      const missing = await ensureHost(true, (l) => bus.emit({ type: "progress", step: "host.install", message: l }));
      if (missing.length) throw new Error(`host requirements missing: ${missing.map((m) => m.pkg).join(", ")}`);
      const plan = await prepareBoot({ sink: bus, accel: opts.accel, ...(opts.kernel ? { kernelPath: opts.kernel } : {}) });
      const dir = await mkdtemp(join(tmpdir(), "hangar-ssh-"));
      // Ctrl-C or SIGTERM: the guest is torn down and its work dir removed before hangar exits.
      await guarded(async (signal) => {
        try {
          const session = await startSession({ scenario: sc, plan, sink: bus, dir, signal, ...(opts.setup ? { setup: true } : {}) });
          try {
            const { ctx } = session;
            const machine = ctx.machine as QemuMachine;
            // The shell sees what steps see (HANGAR_DISK_<NAME>=/dev/vdX, …); the guest is a snapshot, nothing persists.
            const profile = Object.entries(ctx.env).map(([k, v]) => `export ${k}=${shQuote(v)}`).join("\n");
            await ctx.exec(`printf '%s\\n' ${shQuote(profile)} > /etc/profile.d/hangar.sh`, timeout("guestShort"));
            console.error(`guest console: ${machine.consoleLog}; disks: ${JSON.stringify(machine.disks)}`);
            // The image pins the guest's host key: the client checks it like hangar does.
            const known = join(dir, "known_hosts");
            if (plan.image.hostKey) await writeFile(known, `[127.0.0.1]:${machine.port} ${plan.image.hostKey}\n`, { mode: 0o600 });
            const hostKeyOpts = plan.image.hostKey ? ["-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${known}`] : ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"];
            const args = ["-i", plan.image.sshKey, "-p", String(machine.port), ...hostKeyOpts, "-o", "LogLevel=ERROR", "root@127.0.0.1"];
            if (opts.command) args.push("--", shJoin(["sh", "-c", `. /etc/profile.d/hangar.sh; ${opts.command}`]));
            const r = await execa("ssh", args, { stdio: "inherit", reject: false, timeout: opts.maxTime * 60_000, cancelSignal: signal });
            process.exitCode = r.exitCode ?? 1;
          } finally {
            await session.close();
          }
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      });
    });
}
