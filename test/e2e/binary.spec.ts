import { expect, test } from "playwright/test";
import { filterKeys, nodeClient, openConsole, prefix, row } from "./support.js";

const enc = new TextEncoder();
const hex = (bytes: Uint8Array | undefined) =>
  bytes === undefined ? "(nil)" : Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");

/** Runs a command whose arguments are text or raw bytes; returns a bulk reply's bytes. */
async function bulk(api: ReturnType<typeof nodeClient>, ...args: (string | Uint8Array)[]) {
  const res = await api.command.execute({ args: args.map((a) => (typeof a === "string" ? enc.encode(a) : a)) });
  return res.reply?.kind.case === "bulk" ? res.reply.kind.value : undefined;
}

test("binary hash values and list elements edit in hex and round-trip byte for byte", async ({ page }) => {
  const p = prefix("bin");
  const api = nodeClient();
  const value = Uint8Array.from([0x00, 0xff, 0x0d, 0x0a, 0xc3, 0x28]); // NUL, invalid UTF-8, CRLF
  const element = Uint8Array.from([0x80, 0x00, 0x01]);
  await api.command.execute({ args: [enc.encode("HSET"), enc.encode(`${p}hash`), enc.encode("f"), value] });
  await api.command.execute({ args: [enc.encode("RPUSH"), enc.encode(`${p}list`), enc.encode("a"), element] });
  await openConsole(page);
  await filterKeys(page, `${p}*`);
  const table = page.getByRole("region", { name: /elements$/ });
  const field = (name: string) =>
    table.locator(".bytes-field", { has: page.getByRole("textbox", { name, exact: true }) });

  // The hash value opens in hex, exactly; a new hex value is saved as those bytes.
  await row(page, `${p}hash`).click();
  await table.getByRole("button", { name: "Edit f" }).click();
  await expect(field("New Value").getByRole("radio", { name: "Hex" })).toHaveAttribute("aria-checked", "true");
  await expect(table.getByRole("textbox", { name: "New Value", exact: true })).toHaveValue("00 ff 0d 0a c3 28");
  await table.getByRole("textbox", { name: "New Value", exact: true }).fill("de ad 00 be ef ff");
  await table.getByRole("button", { name: "Save" }).click();
  await expect.poll(async () => hex(await bulk(api, "HGET", `${p}hash`, "f"))).toBe("de ad 00 be ef ff");

  // A field added with a value typed in hex.
  await table.getByRole("textbox", { name: "Add: field", exact: true }).fill("g");
  await field("Add: value").getByRole("radio", { name: "Hex" }).click();
  await table.getByRole("textbox", { name: "Add: value", exact: true }).fill("00 01 02 ff");
  await table.getByRole("button", { name: "Add" }).click();
  await expect.poll(async () => hex(await bulk(api, "HGET", `${p}hash`, "g"))).toBe("00 01 02 ff");

  // The binary list element: saved unchanged it stays the same bytes; then edited in hex.
  await row(page, `${p}list`).click();
  await table.getByRole("button", { name: "Edit 1" }).click();
  await expect(table.getByRole("textbox", { name: "New Element", exact: true })).toHaveValue("80 00 01");
  await table.getByRole("button", { name: "Save" }).click();
  await expect(table.getByRole("button", { name: "Edit 1" })).toBeVisible();
  expect(hex(await bulk(api, "LINDEX", `${p}list`, "1"))).toBe("80 00 01");
  await table.getByRole("button", { name: "Edit 1" }).click();
  await table.getByRole("textbox", { name: "New Element", exact: true }).fill("00 c3 a9 ff");
  await table.getByRole("textbox", { name: "New Element", exact: true }).press("Enter");
  await expect.poll(async () => hex(await bulk(api, "LINDEX", `${p}list`, "1"))).toBe("00 c3 a9 ff");
  expect(hex(await bulk(api, "LINDEX", `${p}list`, "0"))).toBe("61");

  // The command bar sends \xHH as one raw byte each.
  const input = page.getByRole("combobox", { name: "Command" });
  await input.fill(`SET ${p}cli "\\x00\\xffé"`);
  await input.press("Enter");
  await expect(page.getByRole("log", { name: "Command results" }).locator(".command-entry").last()).toContainText("OK");
  expect(hex(await bulk(api, "GET", `${p}cli`))).toBe("00 ff c3 a9");
});
