import { defineConfig } from "playwright/test";

/**
 * Browser end-to-end tests of the web console, in Debian's Chromium (never a downloaded
 * browser). The global setup builds the console and starts a real server on a free loopback
 * port; tests that restart a server or load 1M keys start their own.
 * Run: npx playwright test -c test/e2e/playwright.config.ts
 */
export default defineConfig({
  testDir: ".",
  testMatch: "*.spec.ts",
  globalSetup: "./global-setup.ts",
  timeout: 60_000,
  expect: { timeout: 8_000 },
  fullyParallel: true,
  workers: 2,
  retries: 0,
  reporter: [["list"], ["json", { outputFile: "../../test-results/playwright.json" }]],
  outputDir: "../../test-results/playwright",
  use: {
    viewport: { width: 1280, height: 800 },
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
});
