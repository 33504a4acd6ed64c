import { expect, test } from "playwright/test";
import { violations } from "./axe.js";
import { filterKeys, nodeClient, openConsole, prefix, row } from "./support.js";

/**
 * Accessibility of the issue-17 views (as a11y.spec.ts does for the others): axe-core (WCAG 2.0/
 * 2.1 A and AA) finds no violation in the stream viewer (an entry open, a consumer group open,
 * the trim and claim dialogs), a bitmap's bit grid and a HyperLogLog, light and dark.
 */
test("axe finds no WCAG 2 A/AA violation in the stream, bitmap and HyperLogLog views, light and dark", async ({
  page,
}) => {
  test.setTimeout(120_000);
  const p = prefix("va11y");
  const api = nodeClient();
  for (let i = 1; i <= 5; i++) await api.run("XADD", `${p}stream`, `${i}-0`, "n", String(i), "bin", "\u0001x");
  await api.run("XGROUP", "CREATE", `${p}stream`, "g", "0");
  await api.run("XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", `${p}stream`, ">");
  for (const bit of [0, 5, 40]) await api.run("SETBIT", `${p}bits`, String(bit), "1");
  await api.run("PFADD", `${p}hll`, "a", "b");
  await openConsole(page);
  await filterKeys(page, `${p}*`);
  const found: string[] = [];
  for (const theme of ["light", "dark"] as const) {
    const current = await page.evaluate(() => document.documentElement.dataset.theme);
    if (current !== theme) await page.getByRole("button", { name: `Switch to ${theme} theme` }).click();

    await row(page, `${p}stream`).click();
    const view = page.getByRole("region", { name: "Stream entries" });
    await view.getByRole("button", { name: "5-0", exact: true }).click();
    await expect(page.getByRole("region", { name: "Entry 5-0" })).toBeVisible();
    const groups = page.getByRole("region", { name: "Consumer groups" });
    await groups.getByRole("button", { name: "g", exact: true }).click();
    await expect(page.getByRole("region", { name: "Group g" }).locator(".stream-pending tbody tr")).toHaveCount(2);
    found.push(...(await violations(page)).map((v) => `${theme}, stream: ${v}`));
    await view.getByRole("button", { name: "Trim…" }).click();
    await expect(page.getByRole("dialog", { name: "Trim the stream" })).toBeVisible();
    found.push(...(await violations(page)).map((v) => `${theme}, trim dialog: ${v}`));
    await page.getByRole("dialog", { name: "Trim the stream" }).getByRole("button", { name: "Cancel" }).click();
    await page.getByRole("button", { name: "Claim 1-0" }).click();
    await expect(page.getByRole("dialog", { name: "Claim this entry?" })).toBeVisible();
    found.push(...(await violations(page)).map((v) => `${theme}, claim dialog: ${v}`));
    await page.getByRole("dialog", { name: "Claim this entry?" }).getByRole("button", { name: "Cancel" }).click();

    await row(page, `${p}bits`).click();
    await page.getByRole("radio", { name: "Bits (bitmap)" }).click();
    await expect(page.getByRole("button", { name: "bit 40: 1" })).toHaveAttribute("aria-pressed", "true");
    found.push(...(await violations(page)).map((v) => `${theme}, bitmap: ${v}`));

    await row(page, `${p}hll`).click();
    await expect(page.getByTestId("hll-summary")).toBeVisible();
    found.push(...(await violations(page)).map((v) => `${theme}, hyperloglog: ${v}`));
  }
  console.log(found.length ? `axe violations:\n${found.join("\n")}` : "axe: no violations");
  expect(found).toEqual([]);
});
