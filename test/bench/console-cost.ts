/**
 * The bench's `console` part: what an open, unfiltered web console costs a hot writer (issue 15:
 * "must not slow a hot writer by more than a few percent"). On a server of its own, a Node gRPC
 * writer (16 SETs in flight over 1,000 keys, the keys the console lists) runs a window with no
 * console, then a window with the console open in Debian's Chromium (headless: live stream, TTL
 * ticker, refreshes of the rows in view), rounds interleaved A, B, A, B…; each segment has the
 * writer's ops/s and the server's CPU. The console's own calls per second go to the notes.
 * The same measurement as test/e2e/console-cost.spec.ts (which asserts the call rate).
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { loadavg } from "node:os";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { chromium } from "playwright";
import { createServiceClients } from "../../shared/client/index.js";
import { cpuMs, startMemorabilia } from "./processes.js";
import type { Sample } from "./stats.js";

const IN_FLIGHT = 16;
const KEYS = 1_000;
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Options of {@link runConsoleCost}. */
export interface ConsoleCostOptions {
  readonly rounds: number;
  readonly windowMs: number;
  readonly onProgress: (line: string) => void;
  readonly notes: string[];
}

/** Runs the console-cost rounds; returns one sample per round and target (group `console`). */
export async function runConsoleCost(options: ConsoleCostOptions): Promise<Sample[]> {
  const { rounds, windowMs, onProgress, notes } = options;
  if (!existsSync(CHROMIUM)) {
    notes.push(`console part skipped: no Chromium at ${CHROMIUM} (set CHROMIUM_PATH)`);
    return [];
  }
  onProgress("console: building the console (vite build)");
  execFileSync(process.execPath, ["node_modules/vite/bin/vite.js", "build", "--logLevel", "error"], {
    stdio: "ignore",
  });
  const server = await startMemorabilia();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
  });
  const samples: Sample[] = [];
  const callRates: number[] = [];
  const loads: number[] = [];
  try {
    const api = createServiceClients(createGrpcTransport({ baseUrl: server.url }));
    const value = new TextEncoder().encode("v".repeat(32));
    const write = async (ms: number): Promise<{ ops: number; seconds: number; cpu: number | undefined }> => {
      let ops = 0;
      const cpu0 = cpuMs(server.pid);
      const t0 = performance.now();
      const until = t0 + ms;
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async (_, w) => {
          for (let i = w; performance.now() < until; i += IN_FLIGHT) {
            await api.strings.set({ key: `cost:${i % KEYS}`, value });
            ops++;
          }
        }),
      );
      const cpu1 = cpuMs(server.pid);
      return {
        ops,
        seconds: (performance.now() - t0) / 1000,
        cpu: cpu0 === undefined || cpu1 === undefined ? undefined : cpu1 - cpu0,
      };
    };
    await write(1000); // warm-up: JIT, connections, the keys exist
    for (let round = 0; round < rounds; round++) {
      loads.push(Math.round((loadavg()[0] ?? 0) * 100) / 100);
      onProgress(`console: round ${round + 1}/${rounds}, no console`);
      const a = await write(windowMs);
      samples.push({
        group: "console",
        op: "SET",
        target: "hot writer, no console",
        round,
        ops: a.ops,
        seconds: a.seconds,
        serverCpuMs: a.cpu,
      });
      onProgress(`console: round ${round + 1}/${rounds}, console open`);
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      await page.goto(server.url);
      await page.locator('[aria-label="Connection"][data-state="live"]').waitFor({ timeout: 30_000 });
      await page.locator(".line.key").first().waitFor({ timeout: 30_000 });
      let calls = 0;
      page.on("request", (r) => {
        if (r.url().includes("/memorabilia.v1.")) calls++;
      });
      const b = await write(windowMs);
      callRates.push((calls * 1000) / windowMs);
      await context.close();
      samples.push({
        group: "console",
        op: "SET",
        target: "hot writer, unfiltered console open",
        round,
        ops: b.ops,
        seconds: b.seconds,
        serverCpuMs: b.cpu,
      });
    }
  } finally {
    await browser.close();
    await server.stop();
  }
  notes.push(
    `console: the open console's calls to the server during the writer's windows: ${callRates.map((c) => c.toFixed(1)).join(", ")} per second; load averages before each round: ${loads.join(", ")}`,
  );
  return samples;
}
