/**
 * Child process of the keyspace-size workload: loads N small keys into one store (past V8's 2^24
 * Map limit when N is 20M) within a time bound, and prints one JSON line with what it reached.
 * With `--expire-tenth` (the on-demand `keyspace-100m` part) it then times DBSIZE, the first SCAN
 * page and a whole SCAN (COUNT 10000, bounded in time), gives every tenth key one deadline with
 * PEXPIREAT and lets the store's own sweep reclaim them, measuring the drain, the event loop and
 * the GC pauses during it. The sweep starts only after the PEXPIREAT pass, so no key expires during
 * it even when the pass overruns the deadline (then `ttlLateMs` > 0 and the drain counts from the
 * deadline). Reports the peak RSS (VmHWM) and the load average at the load's end and the drain's.
 *
 *   node --max-old-space-size=16384 dist/bench-keyspace-child.mjs <keys> <maxSeconds> [--expire-tenth]
 */
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import { createStore } from "../../shared/index.js";
import { LoopStallMeter } from "./loop-stall.js";

const count = Number(process.argv[2] ?? 20_000_000);
const maxSeconds = Number(process.argv[3] ?? 300);
const expireTenth = process.argv.includes("--expire-tenth");
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
const timed = <T>(fn: () => T): [T, number] => {
  const t = performance.now();
  const r = fn();
  return [r, performance.now() - t];
};
const [dbsize, dbsizeMs] = timed(() => store.run(["DBSIZE"]));
const check = store.run(["GET", `k:${(loaded - 1).toString(36)}`]);
const mem = process.memoryUsage();
const result: Record<string, unknown> = {
  requested: count,
  loaded,
  dbsize,
  dbsizeMs,
  lastKeyFound: check === "vvvvvvvv",
  seconds,
  heapUsed: mem.heapUsed,
  rss: mem.rss,
  loadAverageAfterLoad: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  error,
};

/** The process's peak resident set (VmHWM, bytes), or NaN off Linux. */
function peakRss(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "latin1"));
    return m ? Number(m[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Each phase's figures also go to stderr as they come (the bench prints them as progress), so a run cut short still tells what it reached. */
const phase = (name: string, figures: Record<string, unknown>) =>
  process.stderr.write(`phase ${name} ${JSON.stringify({ ...figures, peakRss: peakRss() })}\n`);
phase("load", result);

if (expireTenth && error === undefined) {
  const run = (argv: string[]) => store.run(argv) as unknown;
  // SCAN: the first page, then the whole keyspace in pages of 10,000 (bounded to a fifth of the time).
  const [first, firstPageMs] = timed(() => run(["SCAN", "0", "COUNT", "1000"]) as [string, string[]]);
  let cursor = first[0];
  let scanned = first[1].length;
  const scanStart = performance.now();
  const scanBound = scanStart + (maxSeconds * 1000) / 5;
  let longestPageMs = 0;
  while (cursor !== "0" && performance.now() < scanBound) {
    const [page, ms] = timed(() => run(["SCAN", cursor, "COUNT", "10000"]) as [string, string[]]);
    if (ms > longestPageMs) longestPageMs = ms;
    cursor = page[0];
    scanned += page[1].length;
  }
  const scanSeconds = (performance.now() - scanStart) / 1000;
  Object.assign(result, {
    scanFirstPageMs: firstPageMs,
    scanned,
    scanComplete: cursor === "0",
    scanSeconds,
    scanLongestPageMs: longestPageMs,
  });
  phase("scan", {
    scanFirstPageMs: firstPageMs,
    scanned,
    scanComplete: cursor === "0",
    scanSeconds,
    scanLongestPageMs: longestPageMs,
  });

  // Every tenth key gets one deadline, far enough ahead to set them all (~3 µs each on a busy host).
  const expiring = Math.floor(loaded / 10);
  const dueAt = Date.now() + 5000 + Math.ceil(expiring / 100);
  const at = String(dueAt);
  const tSet = performance.now();
  for (let i = 0; i < loaded; i += 10) store.run(["PEXPIREAT", `k:${i.toString(36)}`, at]);
  const setTtlSeconds = (performance.now() - tSet) / 1000;
  const lateMs = Date.now() - dueAt;
  phase("ttl", { expiring, setTtlSeconds, ttlLateMs: Math.max(lateMs, 0) });
  store.start();
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  const meter = new LoopStallMeter();
  const gcPauses: { ms: number; kind: number }[] = [];
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcPauses.push({ ms: e.duration, kind: (e as { detail?: { kind?: number } }).detail?.kind ?? 0 });
    }
  });
  const drain = await new Promise<Record<string, unknown>>((resolve) => {
    setTimeout(
      () => {
        histogram.enable();
        meter.start();
        gcObserver.observe({ entryTypes: ["gc"] });
        const before = store.stats().sweep;
        const poll = setInterval(() => {
          const left = store.repository.stats().keysWithTtl;
          const elapsed = Date.now() - dueAt;
          if (left < expiring / 100 || elapsed > (maxSeconds * 1000) / 2) {
            clearInterval(poll);
            histogram.disable();
            const loop = meter.stop();
            gcObserver.disconnect();
            const sweep = store.stats().sweep;
            const longest = [...gcPauses].sort((a, b) => b.ms - a.ms);
            // perf_hooks kinds: 1 scavenge, 2 minor mark-compact, 4 mark-compact, 8 incremental, 16 weak.
            const kinds: Record<string, number> = {};
            for (const g of gcPauses) kinds[g.kind] = (kinds[g.kind] ?? 0) + 1;
            resolve({
              expiring,
              drainMs: elapsed,
              left,
              loopDelayMaxMs: histogram.max / 1e6,
              loopDelayP99Ms: histogram.percentile(99) / 1e6,
              // The main thread's CPU between two 1 ms ticks and its longest wait for a CPU (loop-stall.ts).
              loopCpuMaxMs: loop.cpuMaxMs,
              loopWaitMaxMs: loop.waitMaxMs,
              sweepLongestSliceMs: sweep.longestSliceMs,
              sweepSlices: sweep.slices - before.slices,
              gcPauses: gcPauses.length,
              gcKinds: kinds,
              gcMaxMs: longest[0]?.ms ?? 0,
              gcLongest: longest.slice(0, 5),
              gcTotalMs: gcPauses.reduce((t, g) => t + g.ms, 0),
              loadAverage: Math.round((loadavg()[0] ?? 0) * 100) / 100,
            });
          }
        }, 5);
      },
      Math.max(0, dueAt - Date.now()),
    );
  });
  meter.close();
  store.stop();
  const after = process.memoryUsage();
  Object.assign(result, {
    setTtlSeconds,
    ttlLateMs: Math.max(lateMs, 0),
    massExpiry: drain,
    dbsizeAfter: store.run(["DBSIZE"]),
    heapUsedAfter: after.heapUsed,
    rssAfter: after.rss,
  });
}
result.peakRss = peakRss();
process.stdout.write(`${JSON.stringify(result)}\n`);
