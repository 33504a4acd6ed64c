import { expect, test } from "playwright/test";
import { row, screenshot, serverUrl } from "./support.js";

test("embedded mode: the store runs in the page, keys survive a reload (IndexedDB)", async ({ page }) => {
  const apiCalls: string[] = [];
  page.on("request", (r) => r.url().includes("/memorabilia.v1.") && apiCalls.push(r.url()));
  await page.goto(new URL("/?embedded=1", serverUrl()).toString());
  await expect(page.getByText("Embedded", { exact: true })).toBeVisible();
  const input = page.getByRole("combobox", { name: "Command" });
  await input.fill("SET embedded:greeting hello");
  await input.press("Enter");
  await input.fill("ZADD embedded:board 1 alice 2 bob");
  await input.press("Enter");
  await input.fill("SET embedded:temp x EX 1");
  await input.press("Enter");
  await expect(page.getByRole("log", { name: "Command results" }).locator(".command-entry")).toHaveCount(3);
  await page.getByRole("button", { name: "+ New key" }).click();
  const dialog = page.getByRole("dialog", { name: "New key" });
  await dialog.getByLabel("Key name").fill("embedded:list");
  await dialog.getByLabel("Type").selectOption({ label: "list" });
  for (const [i, element] of ["a", "b", "c"].entries()) {
    if (i > 0) await dialog.getByRole("button", { name: "+ Add element" }).click();
    await dialog.getByRole("textbox", { name: `Element ${i + 1}`, exact: true }).fill(element);
  }
  await dialog.getByLabel("TTL (optional)").fill("600");
  await dialog.getByRole("button", { name: "Create" }).click();
  await expect(row(page, "embedded:list")).toBeVisible();
  await page.waitForTimeout(1500); // the debounced save, and the 1 s key expiring
  await page.reload();
  await expect(page.getByText(/keys restored from this browser's storage/)).toBeVisible();
  await expect(row(page, "embedded:greeting")).toBeVisible();
  await expect(row(page, "embedded:board")).toBeVisible();
  await expect(row(page, "embedded:list")).toBeVisible();
  await expect(row(page, "embedded:list").locator(".c-ttl")).toHaveText(/^(10m 00s|9m \d\ds)$/);
  await expect(row(page, "embedded:temp")).toHaveCount(0);
  await row(page, "embedded:board").click();
  await expect(page.getByRole("region", { name: /elements$/ }).locator("tbody tr")).toHaveCount(2);
  await screenshot(page, "embedded");
  expect(apiCalls).toEqual([]);
});
