import { Command, CommanderError } from "commander";
import { EventBus } from "../common/index.ts";
import { ConfigError } from "../config/index.ts";
import { registerDoctor } from "./doctor.ts";
import { registerImage } from "./image.ts";
import { registerKernel } from "./kernel.ts";
import { registerParse } from "./parse.ts";
import { registerRun } from "./run.ts";
import { registerSsh } from "./ssh.ts";
import { UsageError } from "./args.ts";
import { FragmentError, KernelIdError, PatchFileError } from "../kernel/index.ts";
import { attachRenderer } from "./render.ts";

/** Exit codes (DESIGN.md): 0 met, 1 not met, 2 usage or config error, 3 infrastructure failure. */
async function main(argv: string[]): Promise<number> {
  const program = new Command();
  program
    .name("hangar")
    .description("Reproduce Linux kernel deadlocks in real QEMU virtual machines")
    .version("0.1.0")
    .showHelpAfterError()
    .exitOverride();
  const bus = new EventBus();
  attachRenderer(bus);
  registerRun(program);
  registerParse(program);
  registerImage(program, { sink: bus });
  registerKernel(program, { sink: bus });
  registerDoctor(program);
  registerSsh(program);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof ConfigError || err instanceof UsageError || err instanceof KernelIdError || err instanceof FragmentError || err instanceof PatchFileError) {
      process.stderr.write(`hangar: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`hangar: ${err instanceof Error ? (process.env.HANGAR_DEBUG ? err.stack : err.message) : String(err)}\n`);
    return 3;
  }
}

process.exitCode = await main(process.argv);
