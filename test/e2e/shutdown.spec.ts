import { expect, test } from "playwright/test";
import { startServerProcess } from "../support/server-process.js";
import { nodeClient, row } from "./support.js";

test("during a graceful shutdown the console says so, and opening a key fails with a Retry instead of hanging", async ({
  page,
}) => {
  test.setTimeout(90_000);
  // A long drain: the live stream stays open while new calls get a bare HTTP 503.
  const server = await startServerProcess(["--shutdown-timeout-ms", "20000"], {}, "dist/server.mjs");
  try {
    const api = nodeClient(server.url);
    await api.run("SET", "k:1", "one");
    await api.run("SET", "k:2", "two");
    await page.goto(server.url);
    const badge = page.getByRole("status", { name: "Connection" });
    await expect(badge).toHaveAttribute("data-state", "live");
    await row(page, "k:1").click();
    await expect(page.getByRole("textbox", { name: "Value" })).toHaveValue("one");

    process.kill(server.pid, "SIGTERM");
    const t0 = Date.now();
    await row(page, "k:2").click();
    // Not "Loading…" for ever: an error that says what is going on, and a Retry.
    await expect(page.getByTestId("detail-error")).toContainText(/unavailable|shutting down/i, { timeout: 10_000 });
    await expect(page.getByTestId("detail-error")).not.toContainText(/^Could not read this key: HTTP 503$/);
    await expect(page.getByRole("button", { name: "Retry" })).toBeVisible();
    // The badge no longer says Live.
    await expect(badge).toHaveAttribute("data-state", /shutting-down|unreachable/, { timeout: 5000 });
    await expect(badge).not.toContainText("Live");
    console.log(
      `shutdown: the console said so ${Date.now() - t0} ms after SIGTERM (badge: ${await badge.textContent()})`,
    );
  } finally {
    await server.stop("SIGKILL").catch(() => {});
  }
});
