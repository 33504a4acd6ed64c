/**
 * Child process of the streams part's memory workload (run with --expose-gc): appends N entries
 * (`XADD s <id> field <8-byte value>`, IDs ms-seq as a steady writer makes them) to one stream and
 * prints the heap growth per entry, and the in-process XADD / XRANGE (100 entries) rates, as one
 * JSON line.
 *
 *   node --expose-gc dist/bench-streams-memory-child.mjs <entries>
 */
import { createStore } from "../../shared/index.js";

const count = Number(process.argv[2] ?? "1000000");
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");

/** Entry i's value: 8 distinct bytes, as the Redis side of the workload uses. */
const streamValue = (i: number): string => i.toString(36).padStart(8, "v");
/** Entry i's ID: 10 entries per millisecond from a fixed start, as a busy writer makes them. */
const streamId = (i: number): string => `${1_700_000_000_000 + Math.floor(i / 10)}-${i % 10}`;

function heap(): number {
  for (let i = 0; i < 3; i++) gc?.();
  return process.memoryUsage().heapUsed;
}

const store = createStore();
const before = heap();
const t0 = performance.now();
for (let i = 0; i < count; i++) store.run(["XADD", "s", streamId(i), "field", streamValue(i)]);
const addSeconds = (performance.now() - t0) / 1000;
const after = heap();
const ranges = Math.min(100_000, Math.max(1000, Math.floor(count / 10)));
const t1 = performance.now();
for (let i = 0; i < ranges; i++) {
  const at = Math.floor((i * 7919) % Math.max(1, count - 100));
  store.run(["XRANGE", "s", streamId(at), "+", "COUNT", "100"]);
}
const rangeSeconds = (performance.now() - t1) / 1000;
process.stdout.write(
  `${JSON.stringify({
    entries: count,
    bytesPerEntry: (after - before) / count,
    xaddPerSec: count / addSeconds,
    xrange100PerSec: ranges / rangeSeconds,
    memoryUsage: store.run(["MEMORY", "USAGE", "s"]),
  })}\n`,
);
