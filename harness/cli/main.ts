import { Command, CommanderError } from "commander";
import { EventBus, exitCodeOf, setTimeScale } from "../common/index.ts";
import { registerBisect } from "./bisect.ts";
import { registerDoctor } from "./doctor.ts";
import { registerImage } from "./image.ts";
import { registerHistory } from "./history.ts";
import { registerKernel } from "./kernel.ts";
import { registerNightly } from "./nightly.ts";
import { registerParse } from "./parse.ts";
import { registerProve } from "./prove.ts";
import { registerExpect } from "./expect.ts";
import { registerLint } from "./lint.ts";
import { registerRun } from "./run.ts";
import { registerSsh } from "./ssh.ts";
import { registerWorker } from "./worker.ts";
import { registerFarm } from "./farm.ts";
import { parseTimeScaleOption } from "./args.ts";
import { attachRenderer } from "./render.ts";

/**
 * Exit codes (DESIGN.md): 0 met, 1 not met, 2 usage or config error, 3 infrastructure failure.
 * An error carries its own code (HangarError, common/errors.ts); anything else is 3.
 */
async function main(argv: string[]): Promise<number> {
  const program = new Command();
  program
    .name("hangar")
    .description("Reproduce Linux kernel deadlocks in real QEMU virtual machines")
    .version("0.1.0")
    .option("--time-scale <f>", "multiply every orchestrator deadline (boot, heartbeats, teardown, kernel build steps) by F for a slow or busy host (also HANGAR_TIME_SCALE)", parseTimeScaleOption)
    .hook("preAction", (cmd) => {
      const f = cmd.opts<{ timeScale?: number }>().timeScale;
      if (f !== undefined) setTimeScale(f);
    })
    .showHelpAfterError()
    .exitOverride();
  const bus = new EventBus();
  attachRenderer(bus);
  registerRun(program);
  registerBisect(program);
  registerParse(program);
  registerNightly(program);
  registerHistory(program);
  registerProve(program);
  registerExpect(program);
  registerLint(program);
  registerImage(program, { sink: bus });
  registerKernel(program, { sink: bus });
  registerDoctor(program);
  registerSsh(program);
  registerWorker(program);
  registerFarm(program);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return err.exitCode === 0 ? 0 : 2;
    }
    const code = exitCodeOf(err);
    process.stderr.write(`hangar: ${err instanceof Error ? (process.env.HANGAR_DEBUG ? err.stack : err.message) : String(err)}\n`);
    return code;
  }
}

process.exitCode = await main(process.argv);
