import type { Command } from "commander";
import { HOST_REQUIREMENTS, TEST_REQUIREMENTS, checkHost, ensureHost } from "./host-requirements.ts";

export function registerDoctor(program: Command): void {
  program
    .command("doctor")
    .description("list every host requirement as found/missing; --fix installs the missing ones with apt-get")
    .option("--fix", "install missing packages with apt-get (needs root)")
    .option("--quiet", "print only problems and what gets installed")
    .option("--tests", "also what the test suite needs (Chromium, git, Redis)")
    .action(async (opts: { fix?: boolean; quiet?: boolean; tests?: boolean }) => {
      const reqs = opts.tests ? [...HOST_REQUIREMENTS, ...TEST_REQUIREMENTS] : HOST_REQUIREMENTS;
      const before = await checkHost(reqs);
      if (!opts.quiet) {
        for (const s of before) {
          console.log(`${s.found ? "found  " : "MISSING"}  ${s.pkg.padEnd(16)} ${s.provides.padEnd(20)} ${s.found ? s.at : ""}  (${s.why})`);
        }
        const kvm = await import("node:fs").then((fs) => fs.existsSync("/dev/kvm"));
        console.log(`info     /dev/kvm ${kvm ? "exists (hangar probes it with a real boot before use)" : "absent: guests run under TCG"}`);
      }
      const missing = before.filter((s) => !s.found);
      if (!missing.length) return;
      if (!opts.fix) {
        console.error(`hangar doctor: ${missing.length} missing: ${missing.map((m) => m.pkg).join(" ")}. Run: hangar doctor --fix`);
        process.exitCode = 3;
        return;
      }
      const still = await ensureHost(true, (l) => console.error(`  ${l}`), reqs);
      if (still.length) {
        console.error(`hangar doctor: still missing after install: ${still.map((m) => `${m.pkg} (${m.provides})`).join(", ")}`);
        process.exitCode = 3;
      } else if (!opts.quiet) console.log("hangar doctor: all requirements installed");
    });
}
