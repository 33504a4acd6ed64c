import { expect, test } from "playwright/test";
import { filterKeys, nodeClient, openConsole, prefix, row } from "./support.js";

/**
 * A sorted set written by GEOADD shows each member's coordinates (GEOPOS) beside its score; a
 * sorted set of ordinary scores gets no such column.
 */
test("a geo sorted set shows a Coordinates column; an ordinary one does not", async ({ page }) => {
  test.setTimeout(60_000);
  const p = prefix("geo");
  const api = nodeClient();
  await api.run("GEOADD", `${p}sicily`, "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania");
  await api.run("ZADD", `${p}ranks`, "1", "a", "2", "b");
  await openConsole(page);
  await filterKeys(page, `${p}*`);

  await row(page, `${p}sicily`).click();
  const table = page.getByRole("region", { name: "zset elements" });
  await expect(table.getByRole("columnheader", { name: "Coordinates (GEOPOS)" })).toBeVisible();
  const cells = (member: string) => table.locator("tbody tr").filter({ hasText: member }).locator("td");
  // GEOPOS's own reply (the geohash's centre: Catania reads back as 15.087267, 37.502668).
  const pos = await api.run("GEOPOS", `${p}sicily`, "Palermo", "Catania");
  const dec = new TextDecoder();
  const expected = (pos?.kind.case === "array" ? pos.kind.value.elements : []).map((e) =>
    (e.kind.case === "array" ? e.kind.value.elements : [])
      .map((x) => (x.kind.case === "bulk" ? Number(dec.decode(x.kind.value)).toFixed(6) : "?"))
      .join(", "),
  );
  expect(expected).toEqual(["13.361389, 38.115556", "15.087267, 37.502668"]);
  await expect(cells("Palermo").nth(2)).toHaveText(expected[0] as string);
  await expect(cells("Catania").nth(2)).toHaveText(expected[1] as string);

  await row(page, `${p}ranks`).click();
  await expect(table.locator("tbody tr")).toHaveCount(2);
  await expect(table.getByRole("columnheader")).toHaveText(["Member", "Score", "Actions"]);
});
