import { expect, test } from "playwright/test";
import { filterKeys, nodeClient, openConsole, prefix, row, screenshot } from "./support.js";

test("a key created with a 3-second TTL counts down and vanishes, with no reload", async ({ page }) => {
  const p = prefix("ttl");
  await openConsole(page);
  await filterKeys(page, `${p}*`);
  await page.getByRole("button", { name: "+ New key" }).click();
  const dialog = page.getByRole("dialog", { name: "New key" });
  await dialog.getByLabel("Key name").fill(`${p}short`);
  await dialog.getByLabel("The value").fill("gone soon");
  await dialog.getByLabel("TTL (optional)").fill("3");
  await dialog.getByRole("button", { name: "Create" }).click();
  const ttlCell = row(page, `${p}short`).locator(".c-ttl");
  await expect(ttlCell).toHaveText(/^[23]s$/);
  const started = Date.now();
  // Every frame until the row goes, record what the TTL cell shows. The countdowns tick on the
  // clock's whole seconds and round up, and the server reclaims the key at its deadline, so the
  // last phase ("1s") lasts only the deadline's sub-second part: it must be seen whenever that
  // part spans a few frames.
  const deadline = Number(await ttlCell.getAttribute("data-deadline"));
  const seen = await page.evaluate(
    (key) =>
      new Promise<string[]>((resolve, reject) => {
        const values: string[] = [];
        const until = performance.now() + 4000;
        const frame = () => {
          const cell = document.querySelector(`.line.key[data-key="${key}"] .c-ttl`);
          if (!cell) return resolve(values);
          const text = cell.textContent ?? "";
          if (values[values.length - 1] !== text) values.push(text);
          if (performance.now() > until) return reject(new Error(`row still there; saw ${values.join(", ")}`));
          requestAnimationFrame(frame);
        };
        frame();
      }),
    `${p}short`,
  );
  const elapsed = Date.now() - started;
  // One second less each time, never a second too long or skipped: 3s, 2s, 1s (or from 2s). A
  // countdown tick landing between the deadline and the expired event may show "expired" briefly.
  if (seen[seen.length - 1] === "expired") seen.pop();
  expect(["3s,2s,1s", "2s,1s", "3s,2s", "2s"]).toContain(seen.join(","));
  expect(seen).toContain("2s");
  if (deadline % 1000 >= 100) expect(seen[seen.length - 1]).toBe("1s");
  console.log(`3 s key left the list ${elapsed} ms after it showed 2-3 s (saw ${seen.join(", ")})`);
  expect(elapsed).toBeLessThan(4000);
  expect(await nodeClient().keys.exists({ keys: [`${p}short`] })).toMatchObject({ count: 0n });
});

test("the TTL cell counts down each second", async ({ page }) => {
  const p = prefix("tick");
  const api = nodeClient();
  await openConsole(page);
  await filterKeys(page, `${p}*`);
  await api.run("SET", `${p}k`, "v", "EX", "30");
  const cell = row(page, `${p}k`).locator(".c-ttl");
  await expect(cell).toHaveText(/^(30|29)s$/);
  const first = Number((await cell.textContent())?.replace("s", ""));
  await expect(cell).toHaveText(`${first - 2}s`, { timeout: 4000 });
});

test("a key written by a Node gRPC client appears live, and vanishes when deleted", async ({ page }) => {
  const p = prefix("live");
  const api = nodeClient();
  await openConsole(page);
  await filterKeys(page, `${p}*`);
  await expect(page.getByTestId("counts")).toContainText("0 matched");
  const t0 = Date.now();
  await api.run("HSET", `${p}from-node`, "f", "v");
  await expect(row(page, `${p}from-node`)).toBeVisible({ timeout: 1500 });
  console.log(`live add seen after ${Date.now() - t0} ms`);
  await expect(row(page, `${p}from-node`).locator(".c-type")).toHaveText("hash");
  await expect(row(page, `${p}from-node`).locator(".c-size")).toHaveText("1 item");
  await api.run("DEL", `${p}from-node`);
  await expect(row(page, `${p}from-node`)).toHaveCount(0, { timeout: 1500 });
});

test("filter by glob and type, tree view by ':', keyboard navigation", async ({ page }) => {
  const p = prefix("tree");
  const api = nodeClient();
  for (let i = 0; i < 5; i++) await api.run("SET", `${p}user:${i}:name`, "x".repeat(i + 1));
  await api.run("RPUSH", `${p}queue:jobs`, "a", "b");
  await api.run("SADD", `${p}user:tags`, "t");
  await openConsole(page);
  await filterKeys(page, `${p}user:*`);
  await expect(page.getByTestId("counts")).toContainText("6 matched");
  await page.getByRole("combobox", { name: "Filter by type" }).selectOption({ label: "set" });
  await expect(page.getByTestId("counts")).toContainText("1 matched");
  await expect(row(page, `${p}user:tags`)).toBeVisible();
  await page.getByRole("combobox", { name: "Filter by type" }).selectOption({ label: "All types" });
  await filterKeys(page, `${p}*`);
  await expect(page.getByTestId("counts")).toContainText("7 matched");

  await page.getByRole("radio", { name: "Tree" }).click();
  const top = page.locator(".line.folder").first();
  await expect(top).toContainText("e2e:");
  // Open the folders down to user: with the keyboard.
  const grid = page.getByRole("grid", { name: "Keys" });
  await grid.focus();
  await page.keyboard.press("Home");
  for (let depth = 0; depth < 3; depth++) {
    await page.keyboard.press("ArrowRight");
    await page.keyboard.press("ArrowDown");
  }
  // Folders sort by name: queue: then user:.
  await expect(page.locator(".line.active")).toContainText("queue:");
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowRight");
  await expect(page.locator(".line.folder", { hasText: "user:" })).toHaveAttribute("aria-expanded", "true");
  await expect(page.locator(".line.folder", { hasText: "queue:" })).toBeVisible();
  await screenshot(page, "tree-view");
  await page.getByRole("radio", { name: "List" }).click();
  await grid.focus();
  await page.keyboard.press("Home");
  await page.keyboard.press("ArrowDown");
  const second = (await page.locator(".line.key").nth(1).getAttribute("data-key")) as string;
  await page.keyboard.press("Enter");
  await expect(page.locator(".detail .key-name")).toHaveText(second);
});

test("edit a string (text, JSON, hex), rename, change and clear the TTL, delete with confirmation", async ({
  page,
}) => {
  const p = prefix("str");
  const api = nodeClient();
  await api.run("SET", `${p}doc`, '{"a":1,"b":[true,null]}');
  await openConsole(page);
  await filterKeys(page, `${p}*`);
  await row(page, `${p}doc`).click();
  const value = page.getByRole("textbox", { name: "Value" });
  await expect(value).toHaveValue(/"b": \[\n/);
  await page.getByRole("radio", { name: "Hex" }).click();
  // Unedited, every view shows the value as stored (the JSON view only pretty-prints it).
  await expect(value).toHaveValue(/^7b 22 61 22 3a 31 2c/);
  await page.getByRole("radio", { name: "Text" }).click();
  await value.fill("hello world");
  await page.getByRole("button", { name: "Save value" }).click();
  await expect
    .poll(async () => new TextDecoder().decode((await api.strings.get({ key: `${p}doc` })).value))
    .toBe("hello world");
  await screenshot(page, "string-detail");

  await page.getByRole("textbox", { name: "TTL in seconds" }).fill("120");
  await page.getByRole("button", { name: "Set TTL" }).click();
  await expect(page.getByTestId("detail-ttl")).toHaveText(/^(2m 00s|1m 59s)$/);
  await expect(row(page, `${p}doc`).locator(".c-ttl")).toHaveText(/^(2m 00s|1m 5\ds)$/);
  await page.getByRole("button", { name: "Clear TTL" }).click();
  await expect(page.getByTestId("detail-ttl")).toHaveText("—");
  expect((await api.run("TTL", `${p}doc`))?.kind).toEqual({ case: "integer", value: -1n });

  await page.getByRole("textbox", { name: "New name" }).fill(`${p}renamed`);
  await page.getByRole("button", { name: "Rename" }).click();
  await expect(row(page, `${p}renamed`)).toBeVisible();
  await expect(row(page, `${p}doc`)).toHaveCount(0);
  await expect(page.locator(".key-name")).toHaveText(`${p}renamed`);

  await page.getByRole("button", { name: "Delete key" }).click();
  const confirm = page.getByRole("dialog", { name: "Delete this key?" });
  await confirm.getByRole("button", { name: "Delete" }).click();
  await expect(row(page, `${p}renamed`)).toHaveCount(0);
  expect((await api.keys.exists({ keys: [`${p}renamed`] })).count).toBe(0n);
});

test("edit a list, a hash, a set and a sorted set: add, edit, remove", async ({ page }) => {
  const p = prefix("types");
  const api = nodeClient();
  await api.run("RPUSH", `${p}list`, "a", "b", "c");
  await api.run("HSET", `${p}hash`, "f1", "v1");
  await api.run("SADD", `${p}set`, "m1", "m2");
  await api.run("ZADD", `${p}zset`, "1", "one", "2", "two");
  await openConsole(page);
  await filterKeys(page, `${p}*`);
  const table = page.getByRole("region", { name: /elements$/ });

  await row(page, `${p}list`).click();
  await table.getByLabel("Add: element").fill("d");
  await table.getByRole("button", { name: "Add" }).click();
  await expect(table.locator("tbody tr")).toHaveCount(4);
  await table.getByRole("button", { name: "Edit 1" }).click();
  await table.getByLabel("New Element").fill("B");
  await table.getByRole("button", { name: "Save" }).click();
  await table.getByRole("button", { name: "Remove 0" }).click();
  await expect.poll(async () => JSON.stringify(await lrange(api, `${p}list`))).toBe('["B","c","d"]');

  await row(page, `${p}hash`).click();
  await table.getByLabel("Add: field").fill("f2");
  await table.getByLabel("Add: value").fill("v2");
  await table.getByRole("button", { name: "Add" }).click();
  await expect(table.locator("tbody tr")).toHaveCount(2);
  await table.getByRole("button", { name: "Edit f1" }).click();
  await table.getByLabel("New Value").fill("V1");
  await table.getByRole("button", { name: "Save" }).click();
  await expect(table.locator("tr", { hasText: "f1" })).toContainText("V1");
  await table.getByRole("button", { name: "Remove f2" }).click();
  await expect(table.locator("tbody tr")).toHaveCount(1);
  expect(await api.run("HGET", `${p}hash`, "f1")).toMatchObject({ kind: { case: "bulk" } });

  await row(page, `${p}set`).click();
  await table.getByLabel("Add: member").fill("m3");
  await table.getByRole("button", { name: "Add" }).click();
  await expect(table.locator("tbody tr")).toHaveCount(3);
  await table.getByRole("button", { name: "Remove m1" }).click();
  await expect(table.locator("tbody tr")).toHaveCount(2);
  await table.getByRole("button", { name: "Edit m2" }).click();
  await table.getByLabel("New Member").fill("m2b");
  await table.getByRole("button", { name: "Save" }).click();
  await expect(table.locator("tbody")).toContainText("m2b");
  expect((await api.run("SISMEMBER", `${p}set`, "m2b"))?.kind).toEqual({ case: "integer", value: 1n });

  await row(page, `${p}zset`).click();
  await table.getByLabel("Add: member").fill("three");
  await table.getByLabel("Add: score").fill("3");
  await table.getByRole("button", { name: "Add" }).click();
  await expect(table.locator("tbody tr")).toHaveCount(3);
  await table.getByRole("button", { name: "Edit one" }).click();
  await table.getByLabel("New Score").fill("10");
  await table.getByRole("button", { name: "Save" }).click();
  await expect(table.locator("tbody tr").last()).toContainText("one");
  await table.getByRole("button", { name: "Remove two" }).click();
  await expect(table.locator("tbody tr")).toHaveCount(2);
  await screenshot(page, "zset-detail");
  expect((await api.run("ZSCORE", `${p}zset`, "one"))?.kind).toMatchObject({ case: "bulk" });
});

async function lrange(api: ReturnType<typeof nodeClient>, key: string): Promise<string[]> {
  const reply = await api.run("LRANGE", key, "0", "-1");
  if (reply?.kind.case !== "array") return [];
  return reply.kind.value.elements.map((e) => (e.kind.case === "bulk" ? new TextDecoder().decode(e.kind.value) : "?"));
}

test("bulk delete by pattern: preview count, confirm, keys gone", async ({ page }) => {
  const p = prefix("bulk");
  const api = nodeClient();
  const args: string[] = [];
  for (let i = 0; i < 120; i++) args.push(`${p}session:${i}`, "x");
  await api.run("MSET", ...args);
  await api.run("SET", `${p}keep`, "y");
  await openConsole(page);
  await filterKeys(page, `${p}*`);
  await expect(page.getByTestId("counts")).toContainText("121 matched");
  await page.getByRole("button", { name: "Bulk delete…" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete keys by pattern" });
  await dialog.getByLabel("Pattern (glob)").fill(`${p}session:*`);
  await dialog.getByRole("button", { name: "Preview" }).click();
  await expect(dialog.getByTestId("bulk-count")).toHaveText("120");
  await screenshot(page, "bulk-delete");
  await dialog.getByRole("button", { name: "Delete 120 keys" }).click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByTestId("counts")).toContainText("1 matched");
  await expect(row(page, `${p}keep`)).toBeVisible();
  expect((await api.keys.keys({ pattern: `${p}session:*` })).keys).toEqual([]);
});

test("command bar: completion from the command table, replies rendered by type", async ({ page }) => {
  const p = prefix("cmd");
  await openConsole(page);
  const input = page.getByRole("combobox", { name: "Command" });
  await input.fill("ZAD");
  await expect(page.getByRole("listbox", { name: "Commands" }).getByRole("option").first()).toContainText("ZADD");
  await input.press("Tab");
  await expect(input).toHaveValue("ZADD ");
  await input.pressSequentially(`${p}z 1 a 2 "b c"`);
  await input.press("Enter");
  const out = page.getByRole("log", { name: "Command results" });
  await expect(out.locator(".command-entry").last()).toContainText("(integer) 2");
  await input.fill(`ZRANGE ${p}z 0 -1 WITHSCORES`);
  await input.press("Enter");
  await expect(out.locator(".command-entry").last().locator("pre.reply")).toHaveText(
    ['1) "a"\n2) "1"\n3) "b c"\n4) "2"'].join(""),
  );
  await expect(out.locator(".command-entry").last()).toContainText('"b c"');
  await input.fill(`SET ${p}s v EX 10`);
  await input.press("Enter");
  await expect(out.locator(".command-entry").last()).toContainText("OK");
  await input.fill(`GET ${p}missing`);
  await input.press("Enter");
  await expect(out.locator(".command-entry").last()).toContainText("(nil)");
  await input.fill(`LPUSH ${p}z x`);
  await input.press("Enter");
  await expect(out.locator(".command-entry").last()).toContainText("WRONGTYPE");
  await input.press("ArrowUp");
  await expect(input).toHaveValue(`LPUSH ${p}z x`);
  await filterKeys(page, `${p}*`);
  await expect(row(page, `${p}s`)).toBeVisible();
  await screenshot(page, "command-bar");
});

test("server panel shows the numbers and a live chart; dark theme", async ({ page }) => {
  await openConsole(page);
  await page.getByRole("button", { name: "Server" }).click();
  const panel = page.getByRole("region", { name: "Server" });
  await expect(panel.locator('[data-stat="Keys"]')).toHaveText(/^[\d,]+$/);
  await expect(panel.locator('[data-stat="Ops/s"]')).toBeVisible();
  await expect(panel.locator("canvas")).toBeVisible();
  await page.waitForTimeout(2500);
  await screenshot(page, "server-panel");
  const chart = panel.getByRole("img", { name: /Operations per second/ });
  await expect(chart).toHaveAttribute("data-colours", /^#2563eb #d97706 /);
  await page.getByRole("button", { name: /Switch to dark theme/ }).click();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  // The open chart is drawn again in the dark theme's colours (it kept the light ones), with its data.
  await expect(chart).toHaveAttribute("data-colours", /^#60a5fa #fbbf24 /);
  await expect(panel.locator("canvas")).toHaveCount(1);
  await screenshot(page, "server-panel-dark");
});
