import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { expect, test } from "playwright/test";
import { TransactionService } from "../../shared/gen/memorabilia/v1/transaction_service_pb.js";
import { violations } from "./axe.js";
import { nodeClient, openConsole, prefix, serverUrl } from "./support.js";

/**
 * The Monitor view: every command of every client live (ServerService.Monitor) with its duration;
 * Pause freezes the view while commands are still counted; the filter matches command and client;
 * the page keeps the last 2,000; axe-clean in both themes.
 */
test("Monitor shows another client's commands live with durations, pauses, filters and keeps a bounded buffer", async ({
  page,
}) => {
  test.setTimeout(120_000);
  const p = prefix("mon");
  const api = nodeClient();
  await openConsole(page);
  await page.getByRole("button", { name: "Monitor" }).click();
  const panel = page.getByRole("region", { name: "Monitor" });
  const status = panel.getByTestId("monitor-status");
  await expect(status).toContainText(/^Live/);

  await api.run("SET", `${p}k`, "v\x00");
  await api.run("EVAL", `local i = 0 while i < 200000 do i = i + 1 end return "${p}slow"`, "0");
  const rows = panel.locator("tbody tr");
  const set = rows.filter({ hasText: `"SET" "${p}k" "v\\x00"` });
  await expect(set).toHaveCount(1);
  await expect(set.locator("td.num")).toHaveText(/^\d+(\.\d+)? (µs|ms)$/);
  const slow = rows.filter({ hasText: `${p}slow` });
  await expect(slow).toHaveCount(1);
  await expect(slow.locator("td.num")).toHaveText(/ (ms|s)$/);
  // The client column names the caller (127.0.0.1 over gRPC).
  await expect(set.locator("td").nth(2)).toContainText("127.0.0.1");

  // Filter: only matching commands (the console's own reads of the new key show too, unfiltered).
  await panel.getByRole("searchbox", { name: "Filter commands" }).fill(`"SET" "${p}k"`);
  await expect(rows).toHaveCount(1);
  await expect(status).toContainText("1 match");

  // Pause: new commands are counted but not drawn; Resume draws them.
  await panel.getByRole("searchbox", { name: "Filter commands" }).fill(`"GET" "${p}k"`);
  await expect(rows).toHaveCount(0);
  await panel.getByRole("button", { name: "Pause" }).click();
  await expect(status).toContainText(/^Paused/);
  const before = Number((await status.textContent())?.match(/([\d,]+) commands/)?.[1]?.replace(/,/g, ""));
  await api.run("GET", `${p}k`);
  // Still counted while paused, not drawn.
  await expect
    .poll(async () => Number((await status.textContent())?.match(/([\d,]+) commands/)?.[1]?.replace(/,/g, "")))
    .toBeGreaterThan(before);
  await expect(rows).toHaveCount(0);
  await panel.getByRole("button", { name: "Resume" }).click();
  await expect(rows).toHaveCount(1);

  // Bounded: 2,100 commands in one Batch; the page keeps the last 2,000.
  const transaction = createClient(TransactionService, createGrpcTransport({ baseUrl: serverUrl() }));
  await transaction.batch({
    commands: Array.from({ length: 2_100 }, (_, i) => ({
      kind: { case: "get" as const, value: { key: `${p}b${i}` } },
    })),
  });
  await expect(status).toContainText("(the last 2,000 kept)");
  await panel.getByRole("searchbox", { name: "Filter commands" }).fill(`${p}b`);
  await expect(panel.locator("tbody tr").first()).toContainText(`"GET" "${p}b2099"`);
  await expect(rows).toHaveCount(300);
  await panel.getByRole("searchbox", { name: "Filter commands" }).fill(`"${p}b0"`);
  await expect(rows).toHaveCount(0);

  const found: string[] = [];
  await panel.getByRole("searchbox", { name: "Filter commands" }).fill(p);
  for (const theme of ["light", "dark"] as const) {
    const current = await page.evaluate(() => document.documentElement.dataset.theme);
    if (current !== theme) await page.getByRole("button", { name: `Switch to ${theme} theme` }).click();
    found.push(...(await violations(page)).map((v) => `${theme}, monitor: ${v}`));
  }
  expect(found).toEqual([]);

  // Stop ends the stream.
  await panel.getByRole("button", { name: "Stop" }).click();
  await expect(status).toContainText(/^Stopped/);
});
