import { readFileSync } from "node:fs";
import { expect, test } from "playwright/test";
import { filterKeys, nodeClient, openConsole, prefix, row } from "./support.js";

/**
 * Copy value and Download of a container (hash, list, set, sorted set, stream), as JSON or as
 * redis-cli text, every byte kept (invalid UTF-8 as {"base64"} in JSON, \xHH in text); a value over
 * 256 KiB is read whole only after a confirmation naming its size.
 */
test("copy and download a container's whole value as JSON or redis-cli text, exact bytes; a big one on request", async ({
  page,
  context,
}) => {
  test.setTimeout(120_000);
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  const p = prefix("export");
  const api = nodeClient();
  const enc = new TextEncoder();
  const exec = (...args: (string | Uint8Array)[]) =>
    api.command.execute({ args: args.map((a) => (typeof a === "string" ? enc.encode(a) : a)) });
  await exec("HSET", `${p}hash`, "name", "Zoë", "bin", Uint8Array.from([0x00, 0xff, 0x0a]));
  await exec("RPUSH", `${p}list`, "a", 'q"uote', "line\r\nbreak");
  await exec("ZADD", `${p}zset`, "1.5", "one", "-inf", "low", "+inf", "high");
  await exec("XADD", `${p}stream`, "1-1", "f", "v", "g", Uint8Array.from([0xc3]));
  const members = Array.from({ length: 3_000 }, (_, i) => `${String(i).padStart(5, "0")}:${"m".repeat(120)}`);
  await exec("SADD", `${p}big`, ...members);
  await openConsole(page);
  await filterKeys(page, `${p}*`);
  const clipboard = () => page.evaluate(() => navigator.clipboard.readText());
  const format = page.getByRole("combobox", { name: "Format" });

  // Hash as JSON: entries in scan order; invalid UTF-8 as base64.
  await row(page, `${p}hash`).click();
  await page.getByRole("button", { name: "Copy value" }).click();
  await expect.poll(clipboard).toContain('"type": "hash"');
  const hash = JSON.parse(await clipboard()) as { key: string; entries: unknown[][] };
  expect(hash.key).toBe(`${p}hash`);
  expect(new Map(hash.entries.map(([f, v]) => [f, v]))).toEqual(
    new Map<unknown, unknown>([
      ["name", "Zoë"],
      ["bin", { base64: "AP8K" }],
    ]),
  );

  // List as redis-cli text: LRANGE's reply, quoted as redis-cli does.
  await row(page, `${p}list`).click();
  await format.selectOption("text");
  await page.getByRole("button", { name: "Copy value" }).click();
  await expect.poll(clipboard).toBe('1) "a"\n2) "q\\"uote"\n3) "line\\r\\nbreak"\n');

  // Sorted set as JSON: by score, infinities as strings.
  await row(page, `${p}zset`).click();
  await format.selectOption("json");
  await page.getByRole("button", { name: "Copy value" }).click();
  await expect.poll(clipboard).toContain('"type": "zset"');
  expect((JSON.parse(await clipboard()) as { members: unknown }).members).toEqual([
    ["low", "-inf"],
    ["one", 1.5],
    ["high", "inf"],
  ]);

  // Stream downloaded as redis-cli text: XRANGE's nested reply.
  await row(page, `${p}stream`).click();
  await format.selectOption("text");
  const [streamFile] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Download" }).click(),
  ]);
  expect(streamFile.suggestedFilename()).toMatch(/stream\.txt$/);
  expect(readFileSync(await streamFile.path(), "utf8")).toBe(
    '1) 1) "1-1"\n   2) 1) "f"\n      2) "v"\n      3) "g"\n      4) "\\xc3"\n',
  );

  // A set over 256 KiB: asked first (Cancel reads nothing), then read whole in pages.
  await row(page, `${p}big`).click();
  await format.selectOption("json");
  await page.getByRole("button", { name: "Download" }).click();
  const dialog = page.getByRole("dialog", { name: "Read the whole value?" });
  await expect(dialog).toContainText("3,000 elements");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toHaveCount(0);
  await page.getByRole("button", { name: "Download" }).click();
  const [bigFile] = await Promise.all([
    page.waitForEvent("download"),
    dialog.getByRole("button", { name: "Read all and download" }).click(),
  ]);
  expect(bigFile.suggestedFilename()).toMatch(/big\.json$/);
  const big = JSON.parse(readFileSync(await bigFile.path(), "utf8")) as { members: string[] };
  expect(big.members.slice().sort()).toEqual(members);
});
