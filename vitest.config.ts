import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * Files that boot kernels built by `hangar kernel build` run last: `.ci/run` builds those
 * kernels alongside the other tests, and these files wait for that build (test/e2e/setup.ts).
 */
const BUILT_KERNEL_FILES = ["kernel", "kernel-scenarios", "kernel-004", "prove", "bisect"].map((n) => `test/e2e/${n}.test.ts`);

/** In that order: the files that boot only the default kernel first (it is built first), report 004's after. */
class BuiltKernelFilesLast extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => BUILT_KERNEL_FILES.findIndex((n) => f.moduleId.endsWith(n));
    return [...sorted.filter((f) => rank(f) < 0), ...sorted.filter((f) => rank(f) >= 0).sort((a, b) => rank(a) - rank(b))];
  }
}

// Real-guest tests (test/e2e) boot QEMU under TCG on a 2-core machine: run files one at a
// time so guests do not starve each other, and give each test its own generous deadline
// (every wait inside hangar has its own, shorter deadline).
// Unit tests (test/unit) run first, in one worker without a fresh module graph per file: each
// file re-importing the harness cost ~6 s of CPU under load (9 of CI's 60 min went to
// collecting files, taken from the kernel build running alongside). They restore what they
// change (process.env) and none mocks a module, so sharing is safe.
export default defineConfig({
  test: {
    fileParallelism: false,
    sequence: { sequencer: BuiltKernelFilesLast },
    testTimeout: 30_000,
    hookTimeout: 30 * 60_000,
    reporters: ["default"],
    projects: [
      { extends: true, test: { name: "unit", include: ["test/unit/**/*.test.ts"], isolate: false, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: "e2e", include: ["test/e2e/**/*.test.ts"], sequence: { groupOrder: 1 } } },
    ],
  },
});
