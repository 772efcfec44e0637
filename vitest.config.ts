import { defineConfig } from "vitest/config";

// Quiet output: the runner shows progress, not logs. Code-under-test output is buffered per test and
// printed only when the test fails (test/setup/quietOutput.ts); console.* likewise (`silent`). On a
// terminal the default reporter redraws one progress view (tests slower than 60 s named under their
// file); without one (CI, a pipe) it would print a line per file — nearly 200 — so dots instead,
// with every failure in full and the summary.
const setupFiles = ["test/setup/quietOutput.ts"];

export default defineConfig({
  test: {
    silent: "passed-only",
    reporters: process.stdout.isTTY ? ["default"] : ["dot"],
    slowTestThreshold: 60_000,
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts", "test/iac/**/*.test.ts", "test/reliability/faultProxy.test.ts"],
          setupFiles,
        },
      },
      {
        test: {
          name: "peers",
          include: [
            "test/peers/**/*.test.ts",
            "test/e2e/**/*.test.ts",
            "test/reliability/localChaos.test.ts",
            "test/reliability/staleClaim.test.ts",
            "test/reliability/lateProvisioningEvent.test.ts",
            "test/reliability/secretHygiene.test.ts",
            "test/reliability/lostRunTaskAnswer.test.ts",
            "test/soak/soak.test.ts",
            "test/fuzz/**/*.test.ts",
            "test/conformance/**/*.test.ts",
          ],
          globalSetup: ["test/peers/globalSetup.ts"],
          setupFiles,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
