import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts", "test/reliability/faultProxy.test.ts"],
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
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
