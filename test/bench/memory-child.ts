/**
 * Child process of the memory workload (run with --expose-gc): loads N small keys into one
 * target and prints the heap growth per key as one JSON line.
 *
 *   node --expose-gc dist/bench-memory-child.mjs <core|core-ttl|map|map-ttl> <keys>
 */
import { createStore } from "../../shared/index.js";

const [kind = "core", countArg = "1000000"] = process.argv.slice(2);
const count = Number(countArg);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");

/** Key i and value i: 12 and 8 distinct bytes, as the Redis side of the workload uses. */
const benchKey = (i: number): string => `key:${i.toString().padStart(8, "0")}`;
const benchValue = (i: number): string => i.toString(36).padStart(8, "v");

/**
 * The JS heap plus ArrayBuffer backing stores (outside the V8 heap: the key table's hash arrays are
 * `Int32Array`s), after full GCs.
 */
function heap(): number {
  for (let i = 0; i < 3; i++) gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const before = heap();
const t0 = performance.now();
let keep: unknown;
if (kind === "core" || kind === "core-ttl") {
  const store = createStore();
  const ttl = kind === "core-ttl";
  for (let i = 0; i < count; i++) {
    store.run(ttl ? ["SET", benchKey(i), benchValue(i), "PX", "3600000"] : ["SET", benchKey(i), benchValue(i)]);
  }
  keep = store;
} else {
  // The baseline the design quotes: a Map of {type, value, expiresAt} entries.
  const map = new Map<string, { type: string; value: string; expiresAt: number }>();
  const at = Date.now() + 3_600_000;
  for (let i = 0; i < count; i++) map.set(benchKey(i), { type: "string", value: benchValue(i), expiresAt: at });
  keep = map;
}
const seconds = (performance.now() - t0) / 1000;
const after = heap();
process.stdout.write(
  `${JSON.stringify({ kind, keys: count, bytesPerKey: (after - before) / count, seconds, rss: process.memoryUsage().rss, kept: keep !== undefined })}\n`,
);
