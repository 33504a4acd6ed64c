import { expect, test } from "playwright/test";
import { nodeClient, openConsole, prefix, serverUrl } from "./support.js";

/** Collects main-thread long tasks (PerformanceObserver) from now on, in the page. */
async function watchLongTasks(page: import("playwright/test").Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { longTasks: number[] };
    w.longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.longTasks.push(Math.round(e.duration));
    }).observe({ type: "longtask" });
  });
}
const longTasks = (page: import("playwright/test").Page) =>
  page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);

test("HGETALL of a 100k-field hash shows its first lines at once and pages the rest; binary as redis-cli; Clear", async ({
  page,
}) => {
  test.setTimeout(120_000);
  const p = prefix("cmdbar");
  const api = nodeClient();
  const enc = new TextEncoder();
  const fields = Array.from({ length: 100_000 }, (_, i) => ({
    field: enc.encode(`field:${i}`),
    value: enc.encode(`value:${i}`),
  }));
  const { HashesService } = await import("../../shared/gen/memorabilia/v1/hashes_service_pb.js");
  const { createClient } = await import("@connectrpc/connect");
  const { createGrpcTransport } = await import("@connectrpc/connect-node");
  const hashes = createClient(HashesService, createGrpcTransport({ baseUrl: serverUrl() }));
  for (let i = 0; i < fields.length; i += 10_000)
    await hashes.hSet({ key: `${p}big`, fields: fields.slice(i, i + 10_000) });
  await api.run("SET", `${p}bin`, "x");
  await api.command.execute({
    args: [new TextEncoder().encode("SET"), new TextEncoder().encode(`${p}bin`), Uint8Array.from([0x00, 0x61])],
  });
  await openConsole(page);
  const input = page.getByRole("combobox", { name: "Command" });
  const log = page.getByRole("log", { name: "Command results" });

  await watchLongTasks(page);
  const t0 = Date.now();
  await input.fill(`HGETALL ${p}big`);
  await input.press("Enter");
  const entry = log.locator(".command-entry").last();
  await expect(entry.locator("pre.reply")).toContainText('     1) "field:0"', { timeout: 20_000 });
  const shownMs = Date.now() - t0;
  await expect(entry).toContainText("500 of 200,000 lines");
  // The lines shown are bounded, and indexes of 6 digits are whole (not clipped).
  const text = (await entry.locator("pre.reply").textContent()) ?? "";
  expect(text.split("\n")).toHaveLength(500);
  await entry.getByRole("button", { name: /^Show 1,000 more$/ }).click();
  await expect(entry).toContainText("1,500 of 200,000 lines");
  await expect(entry.locator("pre.reply")).toContainText('  1500) "value:749"');
  const tasks = await longTasks(page);
  const longest = Math.max(0, ...tasks);
  console.log(
    `HGETALL 100k fields: first lines shown ${shownMs} ms after Enter; longest main-thread task ${longest} ms (all: ${tasks.join(", ")})`,
  );
  test.info().annotations.push({ type: "hgetall-100k-ms", description: String(shownMs) });
  test.info().annotations.push({ type: "hgetall-100k-longest-task-ms", description: String(longest) });
  // The reply is fetched, decoded and formatted in a worker: the main thread's own resource
  // timeline has no Execute call (a worker's fetches are on the worker's timeline).
  const mainThreadExecutes = await page.evaluate(
    () => performance.getEntriesByType("resource").filter((e) => e.name.endsWith("/Execute")).length,
  );
  expect(mainThreadExecutes).toBe(0);

  // Binary bulk strings are quoted and escaped as redis-cli does.
  await input.fill(`GET ${p}bin`);
  await input.press("Enter");
  await expect(log.locator(".command-entry").last().locator("pre.reply")).toHaveText('"\\x00a"');

  // Clear empties the log.
  await page.getByRole("button", { name: "Clear" }).click();
  await expect(log.locator(".command-entry")).toHaveCount(0);
});
