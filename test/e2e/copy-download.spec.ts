import { readFileSync } from "node:fs";
import { expect, test } from "playwright/test";
import { filterKeys, nodeClient, openConsole, prefix, row, screenshot } from "./support.js";

/** Copy a key's name and value; download a value's exact bytes, the whole of a big one. */
test("copy the key name and value; download the exact bytes, all of a value over 256 KiB", async ({
  page,
  context,
}) => {
  test.setTimeout(90_000);
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  const p = prefix("copy");
  const api = nodeClient();
  const enc = new TextEncoder();
  const bin = Uint8Array.from([0x00, 0xff, 0x41, 0x0d, 0x0a]);
  const big = new Uint8Array(300 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 255;
  await api.command.execute({ args: [enc.encode("SET"), enc.encode(`${p}bin`), bin] });
  await api.command.execute({ args: [enc.encode("SET"), enc.encode(`${p}big`), big] });
  await api.run("SET", `${p}text`, "héllo wörld");
  await openConsole(page);
  await filterKeys(page, `${p}*`);
  const clipboard = () => page.evaluate(() => navigator.clipboard.readText());

  await row(page, `${p}text`).click();
  await page.getByRole("button", { name: "Copy name" }).click();
  await expect.poll(clipboard).toBe(`${p}text`);
  await page.getByRole("button", { name: "Copy value" }).click();
  await expect.poll(clipboard).toBe("héllo wörld");
  await screenshot(page, "copy-download");

  // Binary: copied as hex (the clipboard holds text); downloaded byte for byte.
  await row(page, `${p}bin`).click();
  await page.getByRole("button", { name: "Copy value" }).click();
  await expect.poll(clipboard).toBe("00 ff 41 0d 0a");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: /^Download/ }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/bin\.bin$/);
  expect([...readFileSync(await download.path())]).toEqual([...bin]);

  // A value over 256 KiB shows its first 256 KiB; Download reads and saves all of it.
  await row(page, `${p}big`).click();
  const [all] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Download (all 300 KiB)" }).click(),
  ]);
  const got = readFileSync(await all.path());
  expect(got.length).toBe(big.length);
  expect(Buffer.compare(got, Buffer.from(big))).toBe(0);
});
