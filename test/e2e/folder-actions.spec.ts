import { expect, test } from "playwright/test";
import { filterKeys, nodeClient, openConsole, prefix, screenshot } from "./support.js";

/**
 * Folder actions in the tree: delete or set a TTL on every key under a prefix, after a preview
 * that names the count; exactly the keys counted are touched (a key created after the count is
 * not deleted).
 */
test("tree folder: delete and TTL every key under a prefix, confirmed with the count; later keys untouched", async ({
  page,
}) => {
  test.setTimeout(90_000);
  const p = prefix("folder");
  const api = nodeClient();
  const args: string[] = [];
  for (let i = 0; i < 150; i++) args.push(`${p}sess:${i}`, "x");
  for (let i = 0; i < 30; i++) args.push(`${p}user:${i}`, "y");
  await api.run("MSET", ...args);
  await openConsole(page);
  await filterKeys(page, `${p}*`);
  await page.getByRole("radio", { name: "Tree" }).click();
  // Open the folders down to the test's prefix: e2e: > folder: > <id>:
  for (const label of ["e2e:", "folder:", `${p.split(":")[2]}:`]) {
    await page.locator(".line.folder", { hasText: label }).first().click();
  }
  const sess = page.locator(".line.folder", { hasText: "sess:" });
  await expect(sess).toBeVisible();

  // TTL on the user: folder, 10 minutes.
  await page.getByRole("button", { name: `Set a TTL on the keys in ${p}user:` }).click();
  const ttlDialog = page.getByRole("dialog", { name: "Set a TTL on keys by pattern" });
  await expect(ttlDialog.getByTestId("bulk-count")).toHaveText("30");
  await ttlDialog.getByLabel("TTL", { exact: true }).fill("10");
  await ttlDialog.getByLabel("Unit").selectOption({ label: "minutes" });
  await ttlDialog.getByRole("button", { name: "Set TTL on 30 keys" }).click();
  await expect(ttlDialog).toHaveCount(0);
  for (const i of [0, 29]) {
    const ttl = await api.run("PTTL", `${p}user:${i}`);
    const ms = ttl?.kind.case === "integer" ? Number(ttl.kind.value) : -1;
    expect(ms).toBeGreaterThan(500_000);
    expect(ms).toBeLessThanOrEqual(600_000);
  }

  // Delete the sess: folder: the count is named; a key created after the count survives.
  await page.getByRole("button", { name: `Delete the keys in ${p}sess:` }).click();
  const del = page.getByRole("dialog", { name: "Delete keys by pattern" });
  await expect(del.getByTestId("bulk-count")).toHaveText("150");
  await expect(del.getByRole("textbox", { name: "Pattern (glob)" })).toHaveValue(`${p}sess:*`);
  await screenshot(page, "folder-delete");
  await api.run("SET", `${p}sess:new`, "created after the count");
  await del.getByRole("button", { name: "Delete 150 keys" }).click();
  await expect(del).toHaveCount(0);
  expect((await api.keys.keys({ pattern: `${p}sess:*` })).keys).toEqual([`${p}sess:new`]);
  expect((await api.keys.keys({ pattern: `${p}user:*` })).keys).toHaveLength(30);
});

test("tree with another delimiter: keys split at '/', its folders open and act by that prefix", async ({ page }) => {
  const p = prefix("delim");
  const api = nodeClient();
  await api.run("MSET", `${p}svc/a/1`, "x", `${p}svc/a/2`, "x", `${p}svc/b`, "x");
  await openConsole(page);
  await filterKeys(page, `${p}*`);
  await page.getByRole("radio", { name: "Tree" }).click();
  await page.getByRole("combobox", { name: "Tree delimiter" }).selectOption("/");
  const top = page.locator(".line.folder", { hasText: `${p}svc/` });
  await expect(top).toContainText("3 keys");
  await top.click();
  const sub = page.locator(".line.folder", { hasText: "a/" });
  await expect(sub).toContainText("2 keys");
  await expect(page.locator(`.line.key[data-key="${p}svc/b"]`)).toContainText("b");
  await page.getByRole("button", { name: `Delete the keys in ${p}svc/a/` }).click();
  const del = page.getByRole("dialog", { name: "Delete keys by pattern" });
  await expect(del.getByTestId("bulk-count")).toHaveText("2");
  await del.getByRole("button", { name: "Delete 2 keys" }).click();
  await expect(del).toHaveCount(0);
  expect((await api.keys.keys({ pattern: `${p}*` })).keys).toEqual([`${p}svc/b`]);
});
