import { defineConfig } from "vitest/config";

// Real-guest tests (test/e2e) boot QEMU under TCG on a 2-core machine: run files one at a
// time so guests do not starve each other, and give each test its own generous deadline
// (every wait inside hangar has its own, shorter deadline).
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 30 * 60_000,
    reporters: ["default"],
  },
});
