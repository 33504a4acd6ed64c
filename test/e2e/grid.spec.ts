import { expect, test } from "playwright/test";
import { filterKeys, nodeClient, openConsole, prefix, row } from "./support.js";

test("Delete in the key list asks to delete that key (it only opened it); the 'of N' total follows the keyspace", async ({
  page,
}) => {
  const p = prefix("grid");
  const api = nodeClient();
  await api.run("SET", `${p}a`, "1");
  await api.run("SET", `${p}b`, "2");
  await openConsole(page);
  await filterKeys(page, `${p}*`);
  await expect(row(page, `${p}b`)).toBeVisible();
  const grid = page.getByRole("grid", { name: "Keys" });
  await row(page, `${p}b`).click();
  await grid.focus();
  await page.keyboard.press("Delete");
  const confirm = page.getByRole("dialog", { name: "Delete this key?" });
  await expect(confirm).toContainText(`${p}b`);
  await confirm.getByRole("button", { name: "Cancel" }).click();
  // Opening another key and coming back does not ask again.
  await row(page, `${p}a`).click();
  await row(page, `${p}b`).click();
  await expect(page.locator(".detail .key-name")).toHaveText(`${p}b`);
  await expect(confirm).toHaveCount(0);
  await grid.focus();
  await page.keyboard.press("Delete");
  await confirm.getByRole("button", { name: "Delete" }).click();
  await expect(row(page, `${p}b`)).toHaveCount(0);
  expect(await api.run("EXISTS", `${p}b`)).toMatchObject({ kind: { case: "integer", value: 0n } });

  // The keyspace's size ("of N") is re-read without a new scan.
  const total = async () =>
    Number(/of ([\d,]+)/.exec((await page.getByTestId("counts").textContent()) ?? "")?.[1]?.replace(/,/g, ""));
  await api.run("MSET", `${p}other:1`, "x", `${p}other:2`, "x", `${p}other:3`, "x");
  const dbSize = async () => Number((await api.keys.dbSize({})).size);
  await expect.poll(async () => (await total()) - (await dbSize()), { timeout: 8000 }).toBe(0);
  expect(await total()).toBeGreaterThanOrEqual(4);
});
