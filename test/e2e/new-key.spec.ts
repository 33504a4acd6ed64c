import { expect, type Page, test } from "playwright/test";
import { filterKeys, nodeClient, openConsole, prefix, row } from "./support.js";

/**
 * The New-key dialog takes every type's elements as bytes (text or hex, one row per element, so
 * a field may hold "=" and a value may be binary), a TTL with a unit, and refuses what would be
 * silently lost (a field or member given twice). It took text only, one element per line split
 * at "=", and a TTL in seconds.
 */
const dialogOf = (page: Page) => page.getByRole("dialog", { name: "New key" });

async function fillRow(page: Page, i: number, cells: Record<string, string>, hex: string[] = []) {
  const dialog = dialogOf(page);
  if (i > 1) await dialog.getByRole("button", { name: "+ Add element" }).click();
  for (const [name, value] of Object.entries(cells)) {
    const label = { name: `${name} ${i}`, exact: true };
    const box = dialog.getByRole("textbox", label);
    if (hex.includes(name)) {
      await dialog
        .locator(".bytes-field", { has: page.getByRole("textbox", label) })
        .getByRole("radio", { name: "Hex" })
        .click();
    }
    await box.fill(value);
  }
}

test("New key: binary values, fields with '=', every type, a TTL with a unit; duplicates refused", async ({ page }) => {
  const p = prefix("newkey");
  const api = nodeClient();
  await openConsole(page);
  await filterKeys(page, `${p}*`);
  const dialog = dialogOf(page);
  const create = async (name: string, type: string) => {
    await page.getByRole("button", { name: "+ New key" }).click();
    await dialog.getByLabel("Key name").fill(`${p}${name}`);
    await dialog.getByLabel("Type").selectOption({ label: type });
  };
  const hexOf = (r: Awaited<ReturnType<typeof api.run>>) =>
    r?.kind.case === "bulk" ? [...r.kind.value].map((b) => b.toString(16).padStart(2, "0")).join(" ") : null;

  // A hash: a field holding "=", a binary value typed in hex; TTL 2 minutes.
  await create("hash", "hash");
  await fillRow(page, 1, { Field: "k=1", Value: "v" });
  await fillRow(page, 2, { Field: "bin", Value: "00 ff 0a" }, ["Value"]);
  await dialog.getByLabel("TTL (optional)").fill("2");
  await dialog.getByLabel("Unit").selectOption({ label: "minutes" });
  await dialog.getByRole("button", { name: "Create" }).click();
  await expect(dialog).toHaveCount(0);
  expect(hexOf(await api.run("HGET", `${p}hash`, "k=1"))).toBe("76");
  expect(hexOf(await api.run("HGET", `${p}hash`, "bin"))).toBe("00 ff 0a");
  const pttl = await api.run("PTTL", `${p}hash`);
  const ms = pttl?.kind.case === "integer" ? Number(pttl.kind.value) : 0;
  expect(ms).toBeGreaterThan(100_000);
  expect(ms).toBeLessThanOrEqual(120_000);

  // A sorted set: -inf and a decimal; a member given twice is refused, nothing created.
  await create("zset", "zset");
  await fillRow(page, 1, { Member: "low", Score: "-inf" });
  await fillRow(page, 2, { Member: "mid", Score: "2.5" });
  await fillRow(page, 3, { Member: "low", Score: "9" });
  await dialog.getByRole("button", { name: "Create" }).click();
  await expect(dialog.getByRole("alert")).toContainText("member “low” is given twice");
  expect(await api.run("EXISTS", `${p}zset`)).toMatchObject({ kind: { case: "integer", value: 0n } });
  await dialog.getByRole("button", { name: "Remove element 3" }).click();
  await dialog.getByRole("button", { name: "Create" }).click();
  await expect(dialog).toHaveCount(0);
  expect(hexOf(await api.run("ZSCORE", `${p}zset`, "low"))).toBe("2d 69 6e 66"); // "-inf"
  expect(hexOf(await api.run("ZSCORE", `${p}zset`, "mid"))).toBe("32 2e 35");

  // A list keeps blanks and spaces as typed; a string typed in hex; a set.
  await create("list", "list");
  await fillRow(page, 1, { Element: "  spaced  " });
  await fillRow(page, 2, { Element: "" });
  await dialog.getByRole("button", { name: "Create" }).click();
  await expect(dialog).toHaveCount(0);
  const list = await api.run("LRANGE", `${p}list`, "0", "-1");
  expect(list?.kind.case === "array" ? list.kind.value.elements.map((e) => hexOf(e)) : null).toEqual([
    "20 20 73 70 61 63 65 64 20 20",
    "",
  ]);
  await create("str", "string");
  await dialog.getByRole("radio", { name: "Hex" }).click();
  await dialog.getByRole("textbox", { name: "The value" }).fill("ca fe 00");
  await dialog.getByLabel("TTL (optional)").fill("1500");
  await dialog.getByLabel("Unit").selectOption({ label: "milliseconds" });
  await dialog.getByRole("button", { name: "Create" }).click();
  await expect(dialog).toHaveCount(0);
  expect(hexOf(await api.run("GET", `${p}str`))).toBe("ca fe 00");
  await expect(row(page, `${p}str`)).toHaveCount(0, { timeout: 5000 }); // gone after 1.5 s
  await create("set", "set");
  await fillRow(page, 1, { Member: "a" });
  await fillRow(page, 2, { Member: "b" });
  await dialog.getByRole("button", { name: "Create" }).click();
  await expect(dialog).toHaveCount(0);
  expect(await api.run("SCARD", `${p}set`)).toMatchObject({ kind: { case: "integer", value: 2n } });
});
