/**
 * Child process of the mass-expiry workload: the Memorabilia server (server/app.ts, the same
 * configuration and sweep as `npm start`), with N keys loaded in-process, all due at one instant.
 * Prints JSON lines: `{"listening":url,"dueAt":ms}` once loaded, then `{"drainMs":…,"loopDelayMaxMs":…}`
 * when fewer than 1 % remain (or the bound passes). The parent probes it over the network meanwhile.
 *
 *   node --import tsx test/bench/expiry-child.ts <port> <keys> <maxSeconds>
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { startServer } from "../../server/app.js";
import { loadConfig } from "../../server/config.js";

const port = process.argv[2] ?? "0";
const count = Number(process.argv[3] ?? 1_000_000);
const maxSeconds = Number(process.argv[4] ?? 30);
const loaded = loadConfig(["--host", "127.0.0.1", "--port", port, "--log-level", "warn"], {});
if (loaded.help) throw new Error("unexpected --help");
const server = await startServer(loaded.config);
const store = server.store;
const dueAt = Date.now() + 3000 + Math.ceil(count / 500); // load time (~2 µs/key) plus a margin
const at = String(dueAt);
for (let i = 0; i < count; i++) store.run(["SET", `key:${i.toString().padStart(8, "0")}`, "vvvvvvvv", "PXAT", at]);
const histogram = monitorEventLoopDelay({ resolution: 1 });
process.stdout.write(`${JSON.stringify({ listening: server.url, dueAt, loaded: store.stats().keys })}\n`);
setTimeout(
  () => {
    histogram.enable();
    const start = Date.now();
    const poll = setInterval(() => {
      const left = store.stats().keys;
      const elapsed = Date.now() - start;
      if (left < count / 100 || elapsed > maxSeconds * 1000) {
        clearInterval(poll);
        histogram.disable();
        process.stdout.write(
          `${JSON.stringify({ drainMs: Date.now() - dueAt, left, loopDelayMaxMs: histogram.max / 1e6, loopDelayP99Ms: histogram.percentile(99) / 1e6 })}\n`,
        );
      }
    }, 5);
  },
  Math.max(0, dueAt - Date.now()),
);
const stop = () => {
  server.close().then(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
