/**
 * Child process of the keyspace-size workload: loads N small keys into one store (past V8's 2^24
 * Map limit when N is 20M) within a time bound, and prints one JSON line with what it reached.
 *
 *   node --max-old-space-size=16384 dist/bench-keyspace-child.mjs <keys> <maxSeconds>
 */
import { createStore } from "../../shared/index.js";

const count = Number(process.argv[2] ?? 20_000_000);
const maxSeconds = Number(process.argv[3] ?? 300);
const store = createStore();
const t0 = performance.now();
const deadline = t0 + maxSeconds * 1000;
let loaded = 0;
let error: string | undefined;
try {
  for (; loaded < count; loaded++) {
    // The clock is read once per 64k keys only to bound the run, not per key.
    if ((loaded & 0xffff) === 0) {
      if (performance.now() > deadline) break;
      if (loaded > 0 && (loaded & 0xfffff) === 0) process.stderr.write(`progress ${loaded}\n`);
    }
    store.run(["SET", `k:${loaded.toString(36)}`, "vvvvvvvv"]);
  }
} catch (e) {
  error = String(e);
}
const seconds = (performance.now() - t0) / 1000;
const dbsize = store.run(["DBSIZE"]);
const check = store.run(["GET", `k:${(loaded - 1).toString(36)}`]);
const mem = process.memoryUsage();
process.stdout.write(
  `${JSON.stringify({ requested: count, loaded, dbsize, lastKeyFound: check === "vvvvvvvv", seconds, heapUsed: mem.heapUsed, rss: mem.rss, error })}\n`,
);
