/**
 * A probe (not in `npm run bench`): what the Watch fan-out costs a writer per SET, in process. One
 * store, 300 SETs per coalescing interval over 1,000 keys (the console bench's 1,500 a second over
 * 200 ms: each SET is one coalesced event sent, coalescing's worst case), with no watcher and with
 * the console's watcher (`*`, include_ttl, coalesce_ms 200, the batch encoded once), sides
 * alternated; process CPU per SET. The interval timers are fired by hand after each interval's
 * SETs: no wall-clock pacing, whose timer wake-ups cost more than the fan-out and vary with load.
 * Build it like the bench (esbuild --bundle into dist/) and run `node dist/fanout-probe.mjs
 * [rounds] [intervals]`.
 */
import { loadavg } from "node:os";
import { WatchFanout } from "../../shared/api/watch-fanout.js";
import { createStore } from "../../shared/store/store.js";

const rounds = Number(process.argv[2] ?? 12);
const intervals = Number(process.argv[3] ?? 40);
/** SETs per coalescing interval: the bench's 1,500 a second over 200 ms. */
const PER_INTERVAL = 300;

// The fan-out's interval timers, fired by hand after each interval's SETs: no wall-clock pacing
// (whose timer wake-ups cost more than the fan-out and vary with the host's load).
const timers: (() => void)[] = [];
globalThis.setTimeout = ((fn: () => void) => {
  timers.push(fn);
  return 0;
}) as unknown as typeof setTimeout;
globalThis.clearTimeout = (() => {}) as typeof clearTimeout;

async function window(watched: boolean): Promise<number> {
  const store = createStore();
  const fanout = new WatchFanout(store, { defer: (fn) => setImmediate(fn) });
  let sent = 0;
  const stop = watched
    ? fanout.watch({ pattern: "*", events: [], classes: [], includeTtl: true, coalesceMs: 200 }, (b) => {
        sent += b.encoded().length > 0 ? b.count : 0;
      })
    : () => {};
  const value = "v".repeat(32);
  let n = 0;
  const c0 = process.cpuUsage();
  for (let k = 0; k < intervals; k++) {
    for (let i = 0; i < PER_INTERVAL; i++, n++) store.execSync(["SET", `cost:${n % 1000}`, value]);
    // Until none is left (a fan-out may start its send's timer from the callback of another).
    do {
      for (const fn of timers.splice(0)) fn();
      await new Promise((r) => setImmediate(r));
    } while (timers.length > 0);
  }
  const c1 = process.cpuUsage(c0);
  stop();
  if (watched && sent !== n) throw new Error(`${sent} events sent for ${n} SETs`);
  return (c1.user + c1.system) / n;
}

const none: number[] = [];
const watched: number[] = [];
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? [false, true] : [true, false];
  for (const w of order) (w ? watched : none).push(await window(w));
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const skip = 2; // JIT warm-up rounds
const diffs = none.slice(skip).map((a, i) => (watched[i + skip] as number) - a);
console.log(
  `none ${none.map((x) => x.toFixed(2)).join(" ")}\nwatch ${watched.map((x) => x.toFixed(2)).join(" ")}\n` +
    `median cost per SET: ${med(diffs).toFixed(2)} µs (none ${med(none.slice(skip)).toFixed(2)}, watch ${med(watched.slice(skip)).toFixed(2)}), load ${loadavg()[0]?.toFixed(2)}`,
);
