import { expect, type Page, test } from "playwright/test";
import { trackCalls } from "./held-calls.js";
import { filterKeys, type NodeClient, nodeClient, openConsole, prefix, row } from "./support.js";

/**
 * An edit is a precise change or nothing: saving what was not changed writes nothing, a change
 * writes exactly that change, and another client's change since the console read the value is
 * never overwritten without asking. Every editor, every view.
 */

const dec = new TextDecoder();
const texts = (reply: Awaited<ReturnType<NodeClient["run"]>>): string[] =>
  reply?.kind.case === "array"
    ? reply.kind.value.elements.map((e) => (e.kind.case === "bulk" ? dec.decode(e.kind.value) : `?${e.kind.case}`))
    : [];
const bulk = (reply: Awaited<ReturnType<NodeClient["run"]>>): string | null =>
  reply?.kind.case === "bulk" ? dec.decode(reply.kind.value) : null;
const members = async (api: NodeClient, key: string) => texts(await api.run("SMEMBERS", key)).sort();
const table = (page: Page) => page.getByRole("region", { name: /elements$/ });
const notSaved = (page: Page) => page.getByRole("dialog", { name: "Not saved" });

async function open(page: Page, p: string, key: string): Promise<void> {
  await openConsole(page);
  await filterKeys(page, `${p}*`);
  await row(page, key).click();
  await expect(page.locator(".detail .key-name")).toHaveText(key);
}

test("set: Edit then Save of an unchanged member keeps it (it was deleted, with a 'Saved' toast)", async ({ page }) => {
  const p = prefix("set-noop");
  const api = nodeClient();
  await api.run("SADD", `${p}s`, "alpha", "beta", "gamma");
  await open(page, p, `${p}s`);
  await table(page).getByRole("button", { name: "Edit beta" }).click();
  await table(page).getByRole("button", { name: "Save" }).click();
  await expect(page.locator(".toast").first()).toBeVisible();
  expect(await members(api, `${p}s`)).toEqual(["alpha", "beta", "gamma"]);
  await expect(page.getByRole("status").filter({ hasText: "No change" })).toBeVisible();
  await expect(table(page).getByRole("button", { name: "Edit beta" })).toBeVisible();

  // A real rename of a member is SREM + SADD, atomically.
  await table(page).getByRole("button", { name: "Edit beta" }).click();
  await table(page).getByLabel("New Member").fill("delta");
  await table(page).getByRole("button", { name: "Save" }).click();
  await expect.poll(() => members(api, `${p}s`)).toEqual(["alpha", "delta", "gamma"]);

  // Renaming onto an existing member would merge the two: asked, and nothing is written.
  await table(page).getByRole("button", { name: "Edit delta" }).click();
  await table(page).getByLabel("New Member").fill("alpha");
  await table(page).getByRole("button", { name: "Save" }).click();
  await expect(notSaved(page)).toContainText("“alpha” is already a member");
  await notSaved(page).getByRole("button", { name: "Discard my edit" }).click();
  expect(await members(api, `${p}s`)).toEqual(["alpha", "delta", "gamma"]);
  // Adding a member that is there says so.
  await table(page).getByLabel("Add: member").fill("gamma");
  await table(page).getByRole("button", { name: "Add" }).click();
  await expect(notSaved(page)).toContainText("“gamma” is already a member");
});

test("unchanged saves write nothing in every editor and every string view", async ({ page }) => {
  const p = prefix("noop");
  const api = nodeClient();
  await api.run("RPUSH", `${p}list`, "a", "b");
  await api.run("HSET", `${p}hash`, "f", "v");
  await api.run("ZADD", `${p}zset`, "1.5", "m");
  await api.run("SET", `${p}json`, '{"b":1,  "a":[1,2]}');
  // Every write to the prefix shows up as an event on this watch.
  const written: string[] = [];
  const abort = new AbortController();
  const events = (async () => {
    try {
      for await (const m of api.watch.watch({ pattern: `${p}*` }, { signal: abort.signal })) {
        if (m.kind.case === "events") for (const e of m.kind.value.events) written.push(`${e.event} ${e.key}`);
      }
    } catch {}
  })();
  try {
    await api.run("SET", `${p}start`, "1");
    await expect.poll(() => written).toEqual([`set ${p}start`]); // the watch is live
    written.length = 0;
    await open(page, p, `${p}list`);
    for (const [key, edit] of [
      [`${p}list`, "Edit 1"],
      [`${p}hash`, "Edit f"],
      [`${p}zset`, "Edit m"],
    ] as const) {
      await row(page, key).click();
      await table(page).getByRole("button", { name: edit }).click();
      await table(page).getByRole("button", { name: "Save" }).click();
      await expect(page.locator(".toast").last()).toHaveText(/No change/);
    }
    // The zset score typed differently but equal (1.50) is no change either.
    await table(page).getByRole("button", { name: "Edit m" }).click();
    await table(page).getByLabel("New Score").fill("1.50");
    await table(page).getByRole("button", { name: "Save" }).click();
    await expect(table(page).getByRole("button", { name: "Edit m" })).toBeVisible();

    // The string: opened in the JSON view (pretty), edited and edited back, saved: not reformatted.
    await row(page, `${p}json`).click();
    const value = page.getByRole("textbox", { name: "Value" });
    await expect(value).toHaveValue(/"b": 1,/);
    for (const view of ["JSON", "Text", "Hex"]) {
      await page.getByRole("radio", { name: view }).click();
      const shown = await value.inputValue();
      await value.fill(`${shown} x`);
      await value.fill(view === "JSON" ? shown.replace('"b": 1', '"b":   1') : shown);
      await page.getByRole("button", { name: "Save value" }).click();
      await expect(page.locator(".toast").last()).toHaveText(/No change/);
      expect(bulk(await api.run("GET", `${p}json`))).toBe('{"b":1,  "a":[1,2]}');
    }
    // A write of our own proves the watch sees writes: it must be the only one.
    await api.run("SET", `${p}sentinel`, "1");
    await expect.poll(() => written).toEqual([`set ${p}sentinel`]);
  } finally {
    abort.abort();
    await events;
  }
});

test("a value another client changed since it was loaded is never overwritten without asking", async ({ page }) => {
  const p = prefix("race");
  const api = nodeClient();
  const lRange = trackCalls(page, "LRange");
  await api.run("HSET", `${p}hash`, "f", "v0");
  await open(page, p, `${p}hash`);

  // Hash field: theirs lands while the console edits; Save asks, Discard keeps theirs.
  await table(page).getByRole("button", { name: "Edit f" }).click();
  // The live view re-reads the page when another client writes; the edit must survive that.
  const reread = page.waitForResponse((r) => r.url().endsWith("/HScan"));
  await api.run("HSET", `${p}hash`, "f", "theirs");
  await reread;
  await table(page).getByLabel("New Value").fill("mine");
  await table(page).getByRole("button", { name: "Save" }).click();
  await expect(notSaved(page)).toContainText("field “f” was changed or removed by another client");
  await notSaved(page).getByRole("button", { name: "Discard my edit" }).click();
  expect(bulk(await api.run("HGET", `${p}hash`, "f"))).toBe("theirs");
  // …and "Save anyway" overwrites, deliberately.
  await table(page).getByRole("button", { name: "Edit f" }).click();
  await api.run("HSET", `${p}hash`, "f", "theirs2");
  await table(page).getByLabel("New Value").fill("mine");
  await table(page).getByRole("button", { name: "Save" }).click();
  await notSaved(page).getByRole("button", { name: "Save anyway" }).click();
  await expect.poll(async () => bulk(await api.run("HGET", `${p}hash`, "f"))).toBe("mine");
  // Adding a field that exists would replace its value: asked.
  await table(page).getByLabel("Add: field").fill("f");
  await table(page).getByLabel("Add: value").fill("other");
  await table(page).getByRole("button", { name: "Add" }).click();
  await expect(notSaved(page)).toContainText("field “f” exists already");
  await notSaved(page).getByRole("button", { name: "Discard my edit" }).click();
  expect(bulk(await api.run("HGET", `${p}hash`, "f"))).toBe("mine");

  // List: another client's LPUSH moves the indexes; an edit or remove of index 1 must not hit
  // the element that moved there.
  await api.run("RPUSH", `${p}list`, "a", "b", "c");
  await row(page, `${p}list`).click();
  await table(page).getByRole("button", { name: "Edit 1" }).click();
  await api.run("LPUSH", `${p}list`, "x");
  await table(page).getByLabel("New Element").fill("B");
  await table(page).getByRole("button", { name: "Save" }).click();
  await expect(notSaved(page)).toContainText("element 1 is no longer “b”");
  await notSaved(page).getByRole("button", { name: "Discard my edit" }).click();
  expect(texts(await api.run("LRANGE", `${p}list`, "0", "-1"))).toEqual(["x", "a", "b", "c"]);
  await expect(table(page).locator("tbody tr")).toHaveCount(4);
  // Hold the live view's re-reads (once no earlier one is in flight), so the console still shows
  // x at index 0 when Remove is clicked; the LPOP's own re-read is among the held ones.
  await lRange.hold();
  await expect(table(page).locator("tbody tr").first()).toContainText("x");
  const heldBefore = lRange.held();
  await api.run("LPOP", `${p}list`);
  await expect.poll(() => lRange.held()).toBeGreaterThan(heldBefore);
  await table(page).getByRole("button", { name: "Remove 0" }).click();
  await expect(notSaved(page)).toContainText("element 0 is no longer “x”");
  await notSaved(page).getByRole("button", { name: "Discard my edit" }).click();
  expect(texts(await api.run("LRANGE", `${p}list`, "0", "-1"))).toEqual(["a", "b", "c"]);
  await lRange.release();

  // Sorted set: a concurrent ZINCRBY.
  await api.run("ZADD", `${p}zset`, "1", "m");
  await row(page, `${p}zset`).click();
  await table(page).getByRole("button", { name: "Edit m" }).click();
  await api.run("ZINCRBY", `${p}zset`, "5", "m");
  await table(page).getByLabel("New Score").fill("2");
  await table(page).getByRole("button", { name: "Save" }).click();
  await expect(notSaved(page)).toContainText("the score of “m” was changed");
  await notSaved(page).getByRole("button", { name: "Discard my edit" }).click();
  expect(bulk(await api.run("ZSCORE", `${p}zset`, "m"))).toBe("6");

  // String: the editor says so while editing, and Save asks.
  await api.run("SET", `${p}str`, "v0");
  await row(page, `${p}str`).click();
  const value = page.getByRole("textbox", { name: "Value" });
  await expect(value).toHaveValue("v0");
  await value.fill("mine");
  await api.run("SET", `${p}str`, "theirs");
  await expect(page.getByRole("status").filter({ hasText: "Another client changed this value" })).toBeVisible();
  await page.getByRole("button", { name: "Save value" }).click();
  await expect(notSaved(page)).toContainText("another client changed");
  await notSaved(page).getByRole("button", { name: "Discard my edit" }).click();
  expect(bulk(await api.run("GET", `${p}str`))).toBe("theirs");
  await expect(value).toHaveValue("theirs");
});

test("string: a re-read started before the first keystroke never replaces the edit when it lands after it", async ({
  page,
}) => {
  // Found in CI: a live change's re-read was in flight when the user typed; its answer replaced
  // the draft (the read's closure held the `dirty` of the render that started it), so the edit
  // was gone and Save found nothing to save.
  const p = prefix("late-read");
  const api = nodeClient();
  const get = trackCalls(page, "Get");
  await api.run("SET", `${p}str`, "v0");
  await open(page, p, `${p}str`);
  const value = page.getByRole("textbox", { name: "Value" });
  await expect(value).toHaveValue("v0");
  await get.hold();
  const heldBefore = get.held();
  await api.run("SET", `${p}str`, "theirs");
  await expect.poll(() => get.held()).toBeGreaterThan(heldBefore);
  await value.fill("mine");
  await get.release();
  await expect(page.getByRole("status").filter({ hasText: "Another client changed this value" })).toBeVisible();
  await expect(value).toHaveValue("mine");
  await page.getByRole("button", { name: "Save value" }).click();
  await notSaved(page).getByRole("button", { name: "Save anyway" }).click();
  await expect.poll(async () => bulk(await api.run("GET", `${p}str`))).toBe("mine");
});

test("rename never overwrites an existing key without an explicit Replace", async ({ page }) => {
  const p = prefix("rename");
  const api = nodeClient();
  await api.run("SET", `${p}a`, "from a");
  await api.run("SET", `${p}b`, "precious");
  await open(page, p, `${p}a`);
  await page.getByRole("textbox", { name: "New name" }).fill(`${p}b`);
  await page.getByRole("button", { name: "Rename" }).click();
  const confirm = page.getByRole("dialog", { name: "Replace the existing key?" });
  await expect(confirm).toContainText("a string");
  await confirm.getByRole("button", { name: "Cancel" }).click();
  expect(bulk(await api.run("GET", `${p}b`))).toBe("precious");
  expect(bulk(await api.run("GET", `${p}a`))).toBe("from a");

  await page.getByRole("button", { name: "Rename" }).click();
  await confirm.getByRole("button", { name: "Replace" }).click();
  await expect(page.locator(".detail .key-name")).toHaveText(`${p}b`);
  expect(bulk(await api.run("GET", `${p}b`))).toBe("from a");
  expect(await api.run("EXISTS", `${p}a`)).toMatchObject({ kind: { case: "integer", value: 0n } });

  // Creating a key over an existing one is refused, whatever the type.
  await page.getByRole("button", { name: "+ New key" }).click();
  const dialog = page.getByRole("dialog", { name: "New key" });
  await dialog.getByLabel("Key name").fill(`${p}b`);
  await dialog.getByLabel("Type").selectOption({ label: "list" });
  await dialog.getByRole("textbox", { name: "Element 1", exact: true }).fill("x");
  await dialog.getByRole("button", { name: "Create" }).click();
  await expect(dialog.getByRole("alert")).toContainText("exists already");
  expect(bulk(await api.run("GET", `${p}b`))).toBe("from a");
});

test("Save anyway overwrites deliberately in every editor; a set Remove is guarded too", async ({ page }) => {
  const p = prefix("anyway");
  const api = nodeClient();
  const sScan = trackCalls(page, "SScan");
  await api.run("RPUSH", `${p}list`, "a", "b", "c");
  await api.run("SADD", `${p}set`, "alpha", "beta");
  await api.run("ZADD", `${p}zset`, "1", "m");
  await api.run("SET", `${p}str`, "v0");
  await open(page, p, `${p}list`);

  // List: another client's LPUSH moved the indexes; the user saves anyway at the index they edited.
  await table(page).getByRole("button", { name: "Edit 1" }).click();
  await api.run("LPUSH", `${p}list`, "x");
  await table(page).getByLabel("New Element").fill("B");
  await table(page).getByRole("button", { name: "Save" }).click();
  await notSaved(page).getByRole("button", { name: "Save anyway" }).click();
  await expect.poll(async () => texts(await api.run("LRANGE", `${p}list`, "0", "-1"))).toEqual(["x", "B", "b", "c"]);

  // Set: a rename onto an existing member merges the two only when the user says so.
  await row(page, `${p}set`).click();
  await table(page).getByRole("button", { name: "Edit beta" }).click();
  await table(page).getByLabel("New Member").fill("alpha");
  await table(page).getByRole("button", { name: "Save" }).click();
  await expect(notSaved(page)).toContainText("“alpha” is already a member");
  await notSaved(page).getByRole("button", { name: "Save anyway" }).click();
  await expect.poll(() => members(api, `${p}set`)).toEqual(["alpha"]);
  // Remove of a member another client removed meanwhile: said, not silently "Removed".
  await api.run("SADD", `${p}set`, "gamma");
  await expect(table(page).getByRole("button", { name: "Remove gamma" })).toBeVisible();
  await sScan.hold();
  await expect(table(page).getByRole("button", { name: "Remove gamma" })).toBeVisible();
  const heldBefore = sScan.held();
  await api.run("SREM", `${p}set`, "gamma");
  await expect.poll(() => sScan.held()).toBeGreaterThan(heldBefore);
  await table(page).getByRole("button", { name: "Remove gamma" }).click();
  await expect(notSaved(page)).toContainText("“gamma” was removed by another client");
  await notSaved(page).getByRole("button", { name: "Save anyway" }).click();
  await expect(page.locator(".toast").last()).toHaveText(/Removed/);
  await sScan.release();
  expect(await members(api, `${p}set`)).toEqual(["alpha"]);

  // Sorted set: a concurrent ZINCRBY, then the user's score anyway.
  await row(page, `${p}zset`).click();
  await table(page).getByRole("button", { name: "Edit m" }).click();
  await api.run("ZINCRBY", `${p}zset`, "5", "m");
  await table(page).getByLabel("New Score").fill("2");
  await table(page).getByRole("button", { name: "Save" }).click();
  await notSaved(page).getByRole("button", { name: "Save anyway" }).click();
  await expect.poll(async () => bulk(await api.run("ZSCORE", `${p}zset`, "m"))).toBe("2");

  // String: theirs, then mine anyway (the TTL kept: SET … KEEPTTL).
  await api.run("EXPIRE", `${p}str`, "1000");
  await row(page, `${p}str`).click();
  const value = page.getByRole("textbox", { name: "Value" });
  await expect(value).toHaveValue("v0");
  await value.fill("mine");
  await api.run("SET", `${p}str`, "theirs", "KEEPTTL");
  await page.getByRole("button", { name: "Save value" }).click();
  await notSaved(page).getByRole("button", { name: "Save anyway" }).click();
  await expect.poll(async () => bulk(await api.run("GET", `${p}str`))).toBe("mine");
  expect(await api.run("TTL", `${p}str`)).toMatchObject({ kind: { case: "integer" } });
  const ttl = await api.run("TTL", `${p}str`);
  expect(ttl?.kind.case === "integer" && ttl.kind.value > 900n).toBe(true);
});

test("a view that cannot show the bytes exactly is read-only: binary, CRLF and multi-line values are never saved altered", async ({
  page,
}) => {
  const p = prefix("lossy");
  const api = nodeClient();
  const enc = new TextEncoder();
  const raw = (...args: (string | Uint8Array)[]) =>
    api.command.execute({ args: args.map((a) => (typeof a === "string" ? enc.encode(a) : a)) });
  const hexOf = (r: Awaited<ReturnType<NodeClient["run"]>>) =>
    r?.kind.case === "bulk" ? [...r.kind.value].map((b) => b.toString(16).padStart(2, "0")).join(" ") : null;
  await raw("SET", `${p}bin`, Uint8Array.from([0x61, 0xff, 0x62]));
  await raw("SET", `${p}crlf`, "line1\r\nline2");
  await raw("HSET", `${p}hash`, "multi", "a\nb", "bin", Uint8Array.from([0xc3, 0x28]));

  // A hash value with a line break is edited in a text box, and keeps it.
  await open(page, p, `${p}hash`);
  await table(page).getByRole("button", { name: "Edit multi" }).click();
  const field = table(page).getByRole("textbox", { name: "New Value" });
  await field.press("End");
  await field.pressSequentially("c");
  await table(page).getByRole("button", { name: "Save" }).click();
  await expect.poll(async () => bulk(await api.run("HGET", `${p}hash`, "multi"))).toBe("a\nbc");
  // A binary hash value: Text is read-only, and Save writes nothing.
  await table(page).getByRole("button", { name: "Edit bin" }).click();
  await expect(field).toHaveValue("c3 28");
  const editing = table(page)
    .locator("tbody tr")
    .filter({ has: page.getByRole("textbox", { name: "New Value" }) });
  await editing.getByRole("radio", { name: "Text" }).click();
  await expect(editing.getByRole("note")).toContainText("not valid UTF-8");
  await expect(field).not.toBeEditable();
  await table(page).getByRole("button", { name: "Save" }).click();
  await expect(page.locator(".toast").last()).toHaveText(/No change/);
  expect(hexOf(await api.run("HGET", `${p}hash`, "bin"))).toBe("c3 28");

  const value = page.getByRole("textbox", { name: "Value" });
  // Invalid UTF-8: opens in Hex; the Text view says why it is read-only; back in Hex, the bytes are exact.
  await row(page, `${p}bin`).click();
  await expect(value).toHaveValue("61 ff 62");
  for (const view of ["Text", "JSON"]) {
    await page.getByRole("radio", { name: view }).click();
    await expect(page.getByRole("note")).toContainText("not valid UTF-8");
    await expect(value).not.toBeEditable();
  }
  await page.getByRole("radio", { name: "Hex" }).click();
  await expect(value).toHaveValue("61 ff 62");
  await value.fill("61 ff 62 63");
  await page.getByRole("radio", { name: "Text" }).click(); // an edit made in Hex survives a look at Text
  await page.getByRole("radio", { name: "Hex" }).click();
  await page.getByRole("button", { name: "Save value" }).click();
  await expect.poll(async () => hexOf(await api.run("GET", `${p}bin`))).toBe("61 ff 62 63");

  // CRLF: a text box would turn it into LF. Opens in Hex; Text is read-only.
  await row(page, `${p}crlf`).click();
  await expect(value).toHaveValue(/^6c 69 6e 65 31 0d 0a/);
  await page.getByRole("radio", { name: "Text" }).click();
  await expect(page.getByRole("note")).toContainText("carriage returns");
  await expect(value).not.toBeEditable();
});
