import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Starts DynamoDB Local and the SQS emulator once per run, on 127.0.0.1.
    globalSetup: ["test/emulators/global-setup.ts"],
  },
});
