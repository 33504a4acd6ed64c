/**
 * Child process of the mass-expiry workload: the Memorabilia server (server/app.ts, the same
 * configuration and sweep as `npm start`), with N keys loaded in-process, all due at one instant.
 * Prints JSON lines: `{"listening":url,"dueAt":ms}` once loaded, then `{"drainMs":…,"loopDelayMaxMs":…}`
 * when fewer than 1 % remain (or the bound passes). The parent probes it over the network meanwhile.
 * With `--gc-settle` (and node's `--expose-gc`) a full GC runs after loading, before the deadline,
 * so the drain does not also pay for the load's garbage (the young generation full of just-loaded
 * keys, a pending major GC): a second figure beside the default one, not a replacement.
 * `sweepLongestSliceMs` is the longest sweep slice timed inside the process (performance.now around
 * each slice): less hostage to host preemption than the event-loop delay, but it includes any GC
 * pause that falls inside a slice.
 *
 *   node [--expose-gc] dist/bench-expiry-child.mjs <port> <keys> <maxSeconds> [--gc-settle]
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
const key = (i: number) => `key:${i.toString().padStart(8, "0")}`;
// The deadline must fall after the load, whose speed depends on how busy the host is (~2 µs/key
// on a quiet one, 10x that and more at a load average of 20, and later keys cost more than the
// first as the heap grows): load every key without a TTL, timing the whole pass, then pick the
// deadline 4x that pass away and give it to every key (PEXPIREAT, which also fills the expiry
// index: a 2x margin fell 4–11 s short at a load average of 18–20, and the deadline from the
// first 1 % 7–31 s short).
const t0 = performance.now();
for (let i = 0; i < count; i++) store.run(["SET", key(i), "vvvvvvvv"]);
const loadMs = performance.now() - t0;
const dueAt = Date.now() + 3000 + Math.ceil(4 * loadMs);
const at = String(dueAt);
for (let i = 0; i < count; i++) store.run(["PEXPIREAT", key(i), at]);
// Loading that ends less than a second before the deadline would measure the load, not the drain.
const lateBy = Date.now() + 1000 - dueAt;
const gc = (globalThis as { gc?: () => void }).gc;
const gcSettled = process.argv.includes("--gc-settle") && gc !== undefined;
if (gcSettled) gc?.();
const histogram = monitorEventLoopDelay({ resolution: 1 });
process.stdout.write(
  `${JSON.stringify({ listening: server.url, dueAt, loaded: store.stats().keys, loadMs: Math.round(loadMs) })}\n`,
);
if (lateBy > 0) {
  process.stdout.write(
    `${JSON.stringify({ error: `loading ${count} keys ended ${lateBy - 1000} ms after the deadline (host too busy)` })}\n`,
  );
}
setTimeout(
  () => {
    const before = store.stats().sweep;
    histogram.enable();
    const start = Date.now();
    const poll = setInterval(() => {
      const left = store.stats().keys;
      const elapsed = Date.now() - start;
      if (left < count / 100 || elapsed > maxSeconds * 1000) {
        clearInterval(poll);
        histogram.disable();
        const sweep = store.stats().sweep;
        process.stdout.write(
          `${JSON.stringify({
            drainMs: Date.now() - dueAt,
            left,
            loopDelayMaxMs: histogram.max / 1e6,
            loopDelayP99Ms: histogram.percentile(99) / 1e6,
            // Slices before the deadline found nothing due (microseconds), so the running max is the drain's.
            sweepLongestSliceMs: sweep.longestSliceMs,
            sweepSlices: sweep.slices - before.slices,
            gcSettled,
          })}\n`,
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
