import { fromBinary } from "@bufbuild/protobuf";
import { expect, test } from "playwright/test";
import { ScanRequestSchema } from "../../shared/gen/memorabilia/v1/keys_service_pb.js";
import { startServerProcess } from "../support/server-process.js";
import { nodeClient } from "./support.js";

const KEYS = 1_000_000;
const BATCH = 10_000;

test("1M keys: the first page within a second, the next page on scroll, never all keys", async ({ page }) => {
  test.setTimeout(150_000);
  const server = await startServerProcess();
  try {
    const api = nodeClient(server.url);
    const enc = new TextEncoder();
    const value = enc.encode("v");
    const t0 = Date.now();
    const batches = Array.from({ length: KEYS / BATCH }, (_, b) => b);
    const worker = async () => {
      for (let b = batches.shift(); b !== undefined; b = batches.shift()) {
        const entries = Array.from({ length: BATCH }, (_, i) => ({ key: `bulk:${b}:${b * BATCH + i}`, value }));
        await api.strings.mSet({ entries });
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    expect((await api.keys.dbSize({})).size).toBe(BigInt(KEYS));
    console.log(`loaded ${KEYS} keys in ${Date.now() - t0} ms`);

    const scans: { count: number; atMs: number }[] = [];
    page.on("request", (r) => {
      if (!r.url().endsWith("/memorabilia.v1.KeysService/Scan")) return;
      const body = r.postDataBuffer();
      if (body) scans.push({ count: fromBinary(ScanRequestSchema, body.subarray(5)).count, atMs: Date.now() });
    });
    const start = Date.now();
    await page.goto(server.url);
    await expect(page.locator(".line.key").first()).toBeVisible({ timeout: 5000 });
    const shownAt = Date.now();
    const firstPageMs = shownAt - start;
    const sinceFirstScanMs = shownAt - (scans[0]?.atMs ?? start);
    await expect(page.getByTestId("counts")).toContainText(/of 1,000,000/);
    const loaded1 = await page.locator(".line.key").count();
    const matched1 = Number(((await page.getByTestId("counts").textContent()) ?? "").split(" ")[0]?.replace(/,/g, ""));
    const scansAfterFirst = scans.length;

    // Scroll to the end of what is loaded: the next page comes without a click.
    const scrollStart = Date.now();
    await page.getByRole("grid", { name: "Keys" }).evaluate((el) => {
      el.scrollTop = el.scrollHeight;
    });
    await page.waitForFunction(
      (before) => {
        const text = document.querySelector('[data-testid="counts"]')?.textContent ?? "";
        return Number(text.split(" ")[0]?.replace(/,/g, "")) > before;
      },
      matched1,
      { polling: "raf", timeout: 5000 },
    );
    const nextPageMs = Date.now() - scrollStart;
    const matched2 = Number(((await page.getByTestId("counts").textContent()) ?? "").split(" ")[0]?.replace(/,/g, ""));
    console.log(
      `1M keys: first page ${sinceFirstScanMs} ms after the first Scan, ${firstPageMs} ms after navigation (${matched1} keys, ${scansAfterFirst} Scan calls), ` +
        `next page ${nextPageMs} ms (${matched2} keys loaded, ${scans.length} Scan calls, COUNT ${[...new Set(scans.map((s) => s.count))].join("/")}); ` +
        `rows in the DOM: ${loaded1}`,
    );
    expect(sinceFirstScanMs).toBeLessThan(1000);
    expect(firstPageMs).toBeLessThan(2500); // including loading the page itself
    expect(scans.length).toBeGreaterThan(0);
    for (const s of scans) expect(s.count).toBeLessThanOrEqual(1000);
    expect(matched2).toBeLessThan(10_000); // a page or two, never the keyspace
    expect(loaded1).toBeLessThan(100); // only the visible rows are in the DOM
    await page.screenshot({ path: "test-results/screenshots/million.png" });
  } finally {
    await server.stop();
  }
});
