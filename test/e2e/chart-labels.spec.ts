/**
 * The server panel's chart draws its axis labels whole (issue 15: "axis labels clip"). uPlot
 * paints the labels on a canvas, so the check reads the canvas's pixels: a label wider than its
 * axis runs off the canvas's left or right edge, and leaves ink in the edge columns (the gutters
 * hold nothing else there). Run with labels as wide as a busy server makes them: a server of its
 * own holding 100,000 keys (the keys axis reads "100,000"; 1,000,000 took 36 s to load on the
 * shared host) while a writer keeps ops/s in the thousands. The axes' widths are measured from
 * their labels' text, so the label's length does not matter, only that the check sees real ones.
 */
import { expect, test } from "playwright/test";
import { startServerProcess } from "../support/server-process.js";
import { nodeClient } from "./support.js";

const KEYS = 100_000;
const BATCH = 10_000;

test("the chart's axis labels are not clipped, in both themes", async ({ page }) => {
  test.setTimeout(180_000);
  const server = await startServerProcess();
  try {
    const api = nodeClient(server.url);
    const value = new TextEncoder().encode("v");
    const batches = Array.from({ length: KEYS / BATCH }, (_, b) => b);
    const worker = async () => {
      for (let b = batches.shift(); b !== undefined; b = batches.shift()) {
        const entries = Array.from({ length: BATCH }, (_, i) => ({ key: `c:${b * BATCH + i}`, value }));
        await api.strings.mSet({ entries });
      }
    };
    const t0 = Date.now();
    await Promise.all([worker(), worker()]);
    console.info(`loaded ${KEYS} keys in ${Date.now() - t0} ms`);
    // A writer while the chart fills: the ops/s axis gets labels in the thousands.
    let writing = true;
    const writer = (async () => {
      for (let n = 0; writing; n++) await api.strings.set({ key: `c:${n % 1000}`, value });
    })();
    try {
      await page.goto(server.url);
      await page.getByRole("button", { name: "Server" }).click();
      const panel = page.getByRole("region", { name: "Server" });
      await expect(panel.locator('[data-stat="Keys"]')).toHaveText(/^10\d,\d{3}$/, { timeout: 15_000 });
      const canvas = panel.locator("canvas");
      await expect(canvas).toBeVisible();
      for (const theme of ["light", "dark"]) {
        if (theme === "dark") {
          await page.getByRole("button", { name: /Switch to dark theme/ }).click();
          await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
        }
        // A few points of history (one a second): both y axes have their ticks and labels. The
        // dark chart is drawn again from the same history.
        await page.waitForTimeout(theme === "light" ? 2_500 : 1_000);
        const edges = await canvas.evaluate((c: HTMLCanvasElement) => {
          const ctx = c.getContext("2d");
          if (!ctx) return undefined;
          const { width, height } = c;
          const inked = (x: number) => {
            const d = ctx.getImageData(x, 0, 1, height).data;
            let n = 0;
            for (let i = 3; i < d.length; i += 4) if ((d[i] as number) > 24) n++;
            return n;
          };
          // The first and last ink columns of the whole canvas, to show where labels reach.
          let first = -1;
          for (let x = 0; x < width && first < 0; x++) if (inked(x) > 0) first = x;
          let last = -1;
          for (let x = width - 1; x >= 0 && last < 0; x--) if (inked(x) > 0) last = x;
          return { width, left: inked(0) + inked(1), right: inked(width - 1) + inked(width - 2), first, last };
        });
        expect(edges, "the chart's canvas is readable").toBeDefined();
        console.info(`${theme}: canvas ${edges?.width} px wide, ink from x=${edges?.first} to x=${edges?.last}`);
        // Ink in the two outermost columns on either side: a label ran off the canvas.
        expect(edges?.left, `${theme}: a left-axis label is clipped`).toBe(0);
        expect(edges?.right, `${theme}: a right-axis label is clipped`).toBe(0);
      }
    } finally {
      writing = false;
      await writer;
    }
  } finally {
    await server.stop();
  }
});
