import { expect, test } from "playwright/test";
import { filterKeys, nodeClient, openConsole, prefix } from "./support.js";

/** The Events view: another client's writes to the watched keys, live, newest first, counted. */
test("Events shows another client's writes live, newest first, with the count", async ({ page }) => {
  const p = prefix("events");
  const api = nodeClient();
  await openConsole(page);
  await filterKeys(page, `${p}*`);
  await page.getByRole("button", { name: "Events" }).click();
  const panel = page.getByRole("region", { name: "Events" });
  await expect(panel).toContainText(`Writes to ${p}*`);
  // The view's own stream (the list's is coalesced) is subscribed before the writes.
  await expect(panel.getByTestId("events-status")).toHaveAttribute("data-state", "live");
  await api.run("SET", `${p}a`, "1");
  await api.run("HSET", `${p}h`, "f", "v");
  await api.run("DEL", `${p}a`);
  const rows = panel.locator("tbody tr");
  await expect(rows).toHaveCount(3);
  await expect(rows.nth(0)).toContainText(`del${p}a`);
  await expect(rows.nth(1)).toContainText(`hset${p}h`);
  await expect(rows.nth(2)).toContainText(`set${p}a`);
  await expect(panel.getByTestId("events-status")).toContainText(/^3 events/);
});
