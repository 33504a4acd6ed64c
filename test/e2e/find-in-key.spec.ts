import { expect, test } from "playwright/test";
import { filterKeys, nodeClient, openConsole, prefix, row, serverUrl } from "./support.js";

/**
 * Search inside a big hash, set or sorted set (HSCAN/SSCAN/ZSCAN MATCH), scanning on until a
 * page matches or the key is done (no "Next" clicking through empty pages); a sorted set
 * highest score first.
 */
test("find a field in a 20k-field hash, a member in a set and a sorted set; a sorted set highest first", async ({
  page,
}) => {
  test.setTimeout(120_000);
  const p = prefix("findin");
  const api = nodeClient();
  const enc = new TextEncoder();
  const { HashesService } = await import("../../shared/gen/memorabilia/v1/hashes_service_pb.js");
  const { createClient } = await import("@connectrpc/connect");
  const { createGrpcTransport } = await import("@connectrpc/connect-node");
  const hashes = createClient(HashesService, createGrpcTransport({ baseUrl: serverUrl() }));
  const fields = Array.from({ length: 20_000 }, (_, i) => ({
    field: enc.encode(`field:${i}`),
    value: enc.encode(`v${i}`),
  }));
  for (let i = 0; i < fields.length; i += 5000)
    await hashes.hSet({ key: `${p}hash`, fields: fields.slice(i, i + 5000) });
  const members: string[] = [];
  for (let i = 0; i < 3000; i++) members.push(`m${i}`);
  await api.run("SADD", `${p}set`, ...members);
  const zargs: string[] = [];
  for (let i = 0; i < 300; i++) zargs.push(String(i), `z${i}`);
  await api.run("ZADD", `${p}zset`, ...zargs);

  await openConsole(page);
  await filterKeys(page, `${p}*`);
  const table = page.getByRole("region", { name: /elements$/ });
  const find = table.getByRole("searchbox", { name: "Find in this key" });
  const cells = table.locator("tbody tr td:first-child");

  // A hash: one field among 20,000, found with no clicks.
  await row(page, `${p}hash`).click();
  await expect(cells).toHaveCount(50);
  const t0 = Date.now();
  await find.fill("field:19999");
  await expect(cells).toHaveText(["field:19999"], { timeout: 30_000 });
  console.log(`HSCAN MATCH: field:19999 of 20,000 fields shown ${Date.now() - t0} ms after typing`);
  // A glob finds several; nothing found says so.
  await find.fill("field:1999?");
  await expect(cells).toHaveCount(10, { timeout: 30_000 });
  await find.fill("no-such-field");
  await expect(table).toContainText("Nothing matches “no-such-field”", { timeout: 30_000 });

  // A set.
  await row(page, `${p}set`).click();
  await find.fill("m2999");
  await expect(cells).toHaveText(["m2999"], { timeout: 30_000 });

  // A sorted set: highest first, and a search.
  await row(page, `${p}zset`).click();
  await expect(cells.first()).toHaveText("z0");
  await table.getByRole("checkbox", { name: "Highest score first" }).check();
  await expect(cells.first()).toHaveText("z299");
  await expect(table.locator("tbody tr").first().locator("td").nth(1)).toHaveText("299");
  await find.fill("z15?");
  await expect(cells).toHaveCount(10, { timeout: 30_000 });
});
