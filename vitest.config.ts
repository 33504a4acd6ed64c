import { playwright } from "@vitest/browser-playwright";
import { defineConfig } from "vitest/config";

/** Chromium from Debian's packages: never a downloaded browser. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export default defineConfig({
  test: {
    // Two test files at a time. Most tests wait on the servers, etcd clusters and browsers they
    // start, so on the 2-core machine two files halve the suite (539 → 277 s, every test green);
    // vitest's default (cores − 1) ran one file at a time here.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: "node",
          environment: "node",
          include: ["shared/**/*.test.ts", "server/**/*.test.ts", "test/**/*.test.ts", "web/src/**/*.test.ts"],
          exclude: ["test/e2e/**", "node_modules/**"],
          // dist/server.mjs and dist/memo.mjs, from the current sources, before any test starts one.
          globalSetup: ["test/support/global-setup.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          // The isomorphism proof: the core's unit suite, unchanged, in real Chromium.
          name: "browser",
          include: ["shared/**/*.test.ts"],
          testTimeout: 30_000,
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({
              launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
            }),
            instances: [{ browser: "chromium" }],
          },
        },
      },
    ],
  },
});
