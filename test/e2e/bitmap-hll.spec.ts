import { expect, test } from "playwright/test";
import { filterKeys, nodeClient, openConsole, prefix, row } from "./support.js";

/**
 * Strings used as bitmaps and HyperLogLogs (issue 17): a string's bits (BITCOUNT, a grid of the
 * page shown, a bit flipped with SETBIT as a precise change, a bit set past the end); a
 * HyperLogLog recognised by its header and PFCOUNT, shown as an estimate with its encoding,
 * elements added with PFADD, its raw bytes read-only in hex and never offered as editable text;
 * a value that only starts like one stays an ordinary string.
 */

const integer = async (api: ReturnType<typeof nodeClient>, ...args: string[]) => {
  const r = await api.run(...args);
  return r?.kind.case === "integer" ? Number(r.kind.value) : Number.NaN;
};

test("a bitmap: BITCOUNT, the bit grid, SETBIT by a click and at an offset past the end", async ({ page }) => {
  test.setTimeout(90_000);
  const p = prefix("bitmap");
  const key = `${p}flags`;
  const api = nodeClient();
  for (const bit of [0, 7, 9, 1023, 1030]) await api.run("SETBIT", key, String(bit), "1");
  await openConsole(page);
  await filterKeys(page, `${p}*`);
  await row(page, key).click();
  await page.getByRole("radiogroup", { name: "Show as" }).getByRole("radio", { name: "Bits (bitmap)" }).click();
  const bits = page.getByRole("region", { name: "Bits" });
  await expect(bits.getByTestId("bitcount")).toContainText("5 of 1,032 bits set (BITCOUNT); first set bit: 0.");
  // Bit 0 is the most significant bit of byte 0, as SETBIT counts.
  const bit = (n: number) => bits.getByRole("button", { name: new RegExp(`^bit ${n}: [01]$`) });
  await expect(bit(0)).toHaveAttribute("aria-pressed", "true");
  await expect(bit(1)).toHaveAttribute("aria-pressed", "false");
  await expect(bit(7)).toHaveAttribute("aria-pressed", "true");
  await expect(bit(9)).toHaveAttribute("aria-pressed", "true");
  await expect(bit(1023)).toHaveAttribute("aria-pressed", "true");
  await expect(bits.getByRole("button", { name: /^bit / })).toHaveCount(1024);

  // A click flips exactly that bit: nothing else of the value changes.
  const before = (await api.strings.get({ key })).value ?? new Uint8Array();
  await bit(1).click();
  await expect(bit(1)).toHaveAttribute("aria-pressed", "true");
  await expect(bits.getByTestId("bitcount")).toContainText("6 of 1,032 bits set");
  const after = (await api.strings.get({ key })).value ?? new Uint8Array();
  expect(after.length).toBe(before.length);
  expect(after[0]).toBe((before[0] as number) | 0x40);
  expect(Array.from(after.subarray(1))).toEqual(Array.from(before.subarray(1)));
  await bit(1).click();
  await expect(bit(1)).toHaveAttribute("aria-pressed", "false");
  expect(await integer(api, "GETBIT", key, "1")).toBe(0);

  // Another client set bit 2 after the grid was read (its re-reads held back): flipping it to 1
  // writes 1, and the console says the bit had changed.
  await page.route("**/memorabilia.v1.StringsService/GetRange", (r) => r.abort());
  await api.run("SETBIT", key, "2", "1");
  await page.waitForTimeout(1500); // the live re-read is attempted (and held back)
  await expect(bit(2)).toHaveAttribute("aria-pressed", "false");
  await bit(2).click();
  await expect(
    page.getByRole("alert").filter({ hasText: "Bit 2 was already 1 (another client changed it)" }),
  ).toBeVisible();
  await page.unroute("**/memorabilia.v1.StringsService/GetRange");
  expect(await integer(api, "GETBIT", key, "2")).toBe(1);
  await api.run("SETBIT", key, "2", "0");
  await expect(bit(2)).toHaveAttribute("aria-pressed", "false");

  // The second page holds bits 1024-1031.
  await bits.getByRole("button", { name: "Next →" }).click();
  await expect(bit(1030)).toHaveAttribute("aria-pressed", "true");
  await expect(bit(1031)).toHaveAttribute("aria-pressed", "false");

  // A bit past the end grows the value (zero-filled), said before it is set.
  const setForm = bits.getByRole("form", { name: "Set a bit" });
  await setForm.getByRole("textbox", { name: "Bit offset to set" }).fill("10000");
  await expect(setForm).toContainText("grows the value to 1,251 bytes");
  await setForm.getByRole("button", { name: "SETBIT" }).click();
  await expect(bits.getByTestId("bitcount")).toContainText("6 of 10,008 bits set");
  expect(await integer(api, "STRLEN", key)).toBe(1251);
  expect(await integer(api, "GETBIT", key, "10000")).toBe(1);
  await bits.getByRole("form", { name: "Go to a bit" }).getByRole("textbox").fill("10000");
  await bits.getByRole("form", { name: "Go to a bit" }).getByRole("button", { name: "Go" }).click();
  await expect(bit(10000)).toHaveAttribute("aria-pressed", "true");

  // The value view is still there.
  await page.getByRole("radiogroup", { name: "Show as" }).getByRole("radio", { name: "Value" }).click();
  await expect(page.getByRole("textbox", { name: "Value" })).toHaveValue(/^81 40 /);
});

test("a HyperLogLog shows its estimate and encoding, takes PFADD, and is never editable as text", async ({ page }) => {
  test.setTimeout(90_000);
  const p = prefix("hll");
  const api = nodeClient();
  await api.run("PFADD", `${p}visitors`, "alice", "bob", "carol");
  const many = Array.from({ length: 5000 }, (_, i) => `user:${i}`);
  await api.run("PFADD", `${p}dense`, ...many);
  // Starts like a HyperLogLog, is not one: an ordinary (editable) string.
  await api.run("SET", `${p}fake`, "HYLL-not-really");
  await openConsole(page);
  await filterKeys(page, `${p}*`);

  await row(page, `${p}visitors`).click();
  const hll = page.getByRole("region", { name: "HyperLogLog" });
  await expect(hll.getByTestId("hll-summary")).toHaveText("HyperLogLog — ~3 distinct elements");
  await expect(hll.getByTestId("hll-encoding")).toHaveText("sparse");
  // No text editor of the value, and no Save: the raw bytes are read-only hex.
  await expect(page.getByRole("textbox", { name: "Value", exact: true })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Save value" })).toHaveCount(0);
  const rawBytes = hll.getByRole("textbox", { name: "Raw bytes (hex)" });
  await expect(rawBytes).toHaveValue(/^48 59 4c 4c 01 /);
  await expect(rawBytes).not.toBeEditable();
  // Hex only: no Text view of the registers to edit.
  await expect(hll.locator(".bytes-field", { has: rawBytes }).getByRole("radio")).toHaveCount(0);

  // PFADD from the console: one new element, one already counted.
  await hll.getByRole("textbox", { name: "Element 1" }).fill("dave");
  await hll.getByRole("button", { name: "Add (PFADD)" }).click();
  await expect(page.getByRole("status").filter({ hasText: "the estimate changed" })).toBeVisible();
  await expect(hll.getByTestId("hll-summary")).toHaveText("HyperLogLog — ~4 distinct elements");
  await hll.getByRole("textbox", { name: "Element 1" }).fill("alice");
  await hll.getByRole("button", { name: "Add (PFADD)" }).click();
  await expect(page.getByRole("status").filter({ hasText: "did not change" })).toBeVisible();
  expect(await integer(api, "PFCOUNT", `${p}visitors`)).toBe(4);

  // A dense one: the estimate is PFCOUNT's.
  await row(page, `${p}dense`).click();
  const count = await integer(api, "PFCOUNT", `${p}dense`);
  await expect(hll.getByTestId("hll-summary")).toHaveText(
    `HyperLogLog — ~${count.toLocaleString("en")} distinct elements`,
  );
  await expect(hll.getByTestId("hll-encoding")).toHaveText("dense");
  await expect(hll.getByRole("textbox", { name: "Raw bytes (hex)" })).toHaveValue(/^48 59 4c 4c 00 /);

  // Not a HyperLogLog: said, and shown as a string.
  await row(page, `${p}fake`).click();
  await expect(
    page.getByRole("note").filter({ hasText: "starts like a HyperLogLog but is not a valid one" }),
  ).toBeVisible();
  await expect(page.getByRole("textbox", { name: "Value", exact: true })).toHaveValue("HYLL-not-really");
  await expect(page.getByRole("textbox", { name: "Value", exact: true })).toBeEditable();
});
