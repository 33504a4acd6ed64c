import { expect, type Page, test } from "playwright/test";
import { nodeClient, openConsole, prefix, row, screenshot } from "./support.js";

/** Fails when any part of the page is wider than the viewport (a horizontal scroll). */
async function expectNoOverflow(page: Page): Promise<void> {
  const widths = await page.evaluate(() => ({ doc: document.documentElement.scrollWidth, view: innerWidth }));
  expect(widths.doc).toBeLessThanOrEqual(widths.view);
}

test.use({ viewport: { width: 390, height: 844 } });

test("at 390 px wide the key list, the key and the dialogs are usable", async ({ page }) => {
  const p = prefix("narrow");
  await nodeClient().run("HSET", `${p}hash`, "field", "value");
  await openConsole(page);
  await page.getByRole("searchbox", { name: "Find keys" }).fill(`${p}*`);
  await expect(row(page, `${p}hash`)).toBeVisible();
  const list = await page.getByRole("region", { name: "Key browser" }).boundingBox();
  expect(list?.width ?? 0).toBeGreaterThan(300);
  expect(list?.height ?? 0).toBeGreaterThan(150);

  await row(page, `${p}hash`).click();
  const detail = await page.getByRole("region", { name: `Key ${p}hash` }).boundingBox();
  expect(detail?.width ?? 0).toBeGreaterThan(300);
  expect(detail?.height ?? 0).toBeGreaterThan(100);
  await expectNoOverflow(page);

  for (const [button, name] of [
    ["+ New key", "New key"],
    ["Delete key", "Delete this key?"],
  ] as const) {
    await page.getByRole("button", { name: button }).click();
    const box = await page.getByRole("dialog", { name }).boundingBox();
    expect(box?.x ?? -1).toBeGreaterThanOrEqual(0);
    expect((box?.x ?? 0) + (box?.width ?? 999)).toBeLessThanOrEqual(390);
    await screenshot(page, `narrow-${name.replace(/\W+/g, "-")}`);
    await page.keyboard.press("Escape");
  }
  await page.getByRole("button", { name: "Server" }).click();
  const server = await page.locator(".right").boundingBox();
  expect(server?.width ?? 0).toBeGreaterThan(300);
  await expectNoOverflow(page);
  await screenshot(page, "narrow");
});
