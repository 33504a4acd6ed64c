import { expect, test } from "playwright/test";
import { startServerProcess } from "../support/server-process.js";
import { nodeClient, row, screenshot } from "./support.js";

test("the live stream reconnects by itself after a server restart", async ({ page }) => {
  test.setTimeout(60_000);
  let server = await startServerProcess();
  const port = String(server.port);
  try {
    await page.goto(server.url);
    const badge = page.getByRole("status", { name: "Connection" });
    await expect(badge).toHaveAttribute("data-state", "live");
    await nodeClient(server.url).run("SET", "before-restart", "1");
    await expect(row(page, "before-restart")).toBeVisible();

    await server.stop();
    // Reconnecting, or (once a call failed and /healthz cannot be reached) "Server unreachable".
    await expect(badge).toHaveAttribute("data-state", /reconnecting|connecting|unreachable/);
    await screenshot(page, "reconnecting");
    server = await startServerProcess(["--port", port]);
    const t0 = Date.now();
    await expect(badge).toHaveAttribute("data-state", "live", { timeout: 15_000 });
    console.log(`live again ${Date.now() - t0} ms after the server listened`);
    // The new server is empty: the old key leaves the list, a new one appears live.
    await expect(row(page, "before-restart")).toHaveCount(0);
    await nodeClient(server.url).run("SET", "after-restart", "2");
    await expect(row(page, "after-restart")).toBeVisible({ timeout: 2000 });
  } finally {
    await server.stop();
  }
});
