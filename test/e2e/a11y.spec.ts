import { expect, test } from "playwright/test";
import { violations } from "./axe.js";
import { filterKeys, nodeClient, openConsole, prefix, row } from "./support.js";

/**
 * Accessibility (issue 15 item 12): axe-core (WCAG 2 A and AA rules) finds no violation in the
 * console's main views, light and dark: the key list (long enough to scroll), a string, a hash,
 * the server panel, the Pub/Sub view, the New-key dialog.
 */
test("axe finds no WCAG 2 A/AA violation in the key list, key views, server panel and dialogs, light and dark", async ({
  page,
}) => {
  test.setTimeout(120_000);
  const p = prefix("a11y");
  const api = nodeClient();
  await api.run("SET", `${p}str`, '{"a":1}');
  await api.run("HSET", `${p}hash`, "f", "v", "g", "w");
  await api.run("EXPIRE", `${p}hash`, "1000");
  // Enough keys that the list scrolls (a scrollable region must be reachable by keyboard).
  await api.run("MSET", ...Array.from({ length: 200 }, (_, i) => [`${p}many:${i}`, "v"]).flat());
  await openConsole(page);
  await filterKeys(page, `${p}*`);
  // The key grid names its columns for screen readers (its header row was presentation only).
  const grid = page.getByRole("grid", { name: "Keys" });
  for (const name of ["Key", "Type", "TTL", "Size", "Memory"])
    await expect(grid.getByRole("columnheader", { name, exact: true })).toBeVisible();
  const found: string[] = [];
  for (const theme of ["light", "dark"] as const) {
    const current = await page.evaluate(() => document.documentElement.dataset.theme);
    if (current !== theme) await page.getByRole("button", { name: `Switch to ${theme} theme` }).click();
    await row(page, `${p}str`).click();
    await expect(page.getByRole("textbox", { name: "Value" })).toBeVisible();
    found.push(...(await violations(page)).map((v) => `${theme}, string: ${v}`));
    await row(page, `${p}hash`).click();
    await expect(page.getByRole("region", { name: /elements$/ })).toBeVisible();
    found.push(...(await violations(page)).map((v) => `${theme}, hash: ${v}`));
    await page.getByRole("button", { name: "Server", exact: true }).click();
    await expect(page.locator(".server-panel, [aria-label='Server']").first()).toBeVisible();
    found.push(...(await violations(page)).map((v) => `${theme}, server: ${v}`));
    await page.getByRole("button", { name: "Server", exact: true }).click();
    await page.getByRole("button", { name: "Pub/Sub" }).click();
    await expect(page.getByRole("region", { name: "Pub/Sub" })).toBeVisible();
    found.push(...(await violations(page)).map((v) => `${theme}, pub/sub: ${v}`));
    await page.getByRole("button", { name: "Pub/Sub" }).click();
    await page.getByRole("button", { name: "+ New key" }).click();
    await expect(page.getByRole("dialog", { name: "New key" })).toBeVisible();
    found.push(...(await violations(page)).map((v) => `${theme}, new key: ${v}`));
    await page.getByRole("dialog", { name: "New key" }).getByRole("button", { name: "Cancel" }).click();
  }
  console.log(found.length ? `axe violations:\n${found.join("\n")}` : "axe: no violations");
  expect(found).toEqual([]);
});
