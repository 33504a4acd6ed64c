/**
 * Child process of the mass-expiry workload: the Memorabilia server (server/app.ts, the same
 * configuration and sweep as `npm start`) with its RESP port on. The parent loads it through that
 * port exactly as it loads Redis (resp-load.ts: a bounded RESP pipe, `SET key value PXAT dueAt`),
 * then sends `watch <dueAt> <count>` on stdin; from the deadline on the child records its own
 * event loop until fewer than 1 % of the keys remain (or the bound passes) and prints the result.
 *
 * Prints JSON lines: `{"listening":url,"respPort":n}` once started, then one result per `watch`.
 * With `watch … gc` (and node's `--expose-gc`) a full GC runs first, so the drain does not also pay
 * for the load's garbage: a second figure beside the default one, not a replacement.
 *
 * What is recorded from the deadline:
 * - `loopDelayMaxMs`: monitorEventLoopDelay's max (1 ms resolution): the wall-clock stall, which on
 *   a busy host includes the time the OS kept the process off the CPU;
 * - `loopCpuMaxMs` / `loopWaitMaxMs` (loop-stall.ts): the most CPU the main thread used (never more than the
 *   gap's wall time less its wait for a CPU: `mainThreadCpuMs`), and the longest
 *   wait for a CPU, between two ticks of a 1 ms timer — the code's own stall apart from the host's;
 * - `sweepLongestSliceMs`: the longest sweep slice timed inside the process (performance.now
 *   around each slice; GC pauses and preemption inside it count);
 * - GC pauses (PerformanceObserver `gc`): count, longest, total, the five longest with their kind.
 *
 * `EXPIRY_TRACE=1` adds, on stderr at exit, every `activeExpire` batch over 1 ms (wall and process
 * CPU) with the GC pauses, to tell a slow batch from a descheduled one.
 *
 *   node [--expose-gc] dist/bench-expiry-child.mjs <maxSeconds>
 */
import { Session } from "node:inspector/promises";
import { monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { startServer } from "../../server/app.js";
import { loadConfig } from "../../server/config.js";
import { LoopStallMeter } from "./loop-stall.js";

const maxSeconds = Number(process.argv[2] ?? 30);
const loaded = loadConfig(["--host", "127.0.0.1", "--port", "0", "--resp-port", "0", "--log-level", "warn"], {});
if (loaded.help) throw new Error("unexpected --help");
const server = await startServer(loaded.config);
const store = server.store;

/** perf_hooks gc kinds (NODE_PERFORMANCE_GC_*). */
const GC_KIND: Record<number, string> = {
  1: "scavenge",
  2: "minor-mc",
  4: "mark-compact",
  8: "incremental",
  16: "weak",
};
const gcPauses: { ms: number; kind: string; at: number }[] = [];
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = (e as { detail?: { kind?: number } }).detail?.kind ?? 0;
    gcPauses.push({
      ms: Math.round(e.duration * 100) / 100,
      kind: GC_KIND[kind] ?? String(kind),
      at: Math.round(e.startTime),
    });
  }
});

if (process.env.EXPIRY_TRACE === "1") {
  const repo = store.repository as unknown as { activeExpire: (now: number, n: number) => { sampled: number } };
  const inner = repo.activeExpire.bind(repo);
  const slow: { at: number; ms: number; cpuMs: number; n: number }[] = [];
  repo.activeExpire = (now, n) => {
    const c = process.cpuUsage();
    const a = performance.now();
    const r = inner(now, n);
    const ms = performance.now() - a;
    const cu = process.cpuUsage(c);
    if (ms > 1)
      slow.push({
        at: Math.round(a),
        ms: Math.round(ms * 100) / 100,
        cpuMs: (cu.user + cu.system) / 1000,
        n: r.sampled,
      });
    return r;
  };
  process.on("exit", () =>
    process.stderr.write(`${JSON.stringify({ slowBatches: slow.length, slow: slow.slice(0, 300), gc: gcPauses })}\n`),
  );
}

/**
 * `EXPIRY_HEAP_PROFILE=1`: V8's sampling heap profiler from the deadline until drained, counting
 * objects the collector has already freed (young garbage included), so the drain's allocations can
 * be attributed to code paths; the top sites go to stderr as one JSON line.
 */
const heapProfile = process.env.EXPIRY_HEAP_PROFILE === "1" ? new Session() : undefined;
heapProfile?.connect();

interface SampleNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SampleNode[];
}

/** Self bytes per allocation site (function, file:line, and two callers), largest first. */
function allocationSites(head: SampleNode): { bytes: number; site: string }[] {
  const sites = new Map<string, number>();
  const frame = (n: SampleNode) =>
    `${n.callFrame.functionName || "(anon)"} ${n.callFrame.url.split("/").pop()}:${n.callFrame.lineNumber + 1}`;
  const walk = (n: SampleNode, path: string[]) => {
    const here = [frame(n), ...path].slice(0, 4);
    if (n.selfSize > 0) {
      const site = here.join(" < ");
      sites.set(site, (sites.get(site) ?? 0) + n.selfSize);
    }
    for (const c of n.children) walk(c, here);
  };
  walk(head, []);
  return [...sites].map(([site, bytes]) => ({ bytes, site })).sort((a, b) => b.bytes - a.bytes);
}

const meter = new LoopStallMeter();
const histogram = monitorEventLoopDelay({ resolution: 1 });
process.stdout.write(`${JSON.stringify({ listening: server.url, respPort: server.respPort })}\n`);

function watch(dueAt: number, count: number, settle: boolean): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  const gcSettled = settle && gc !== undefined;
  if (gcSettled) gc?.();
  setTimeout(
    () => {
      const before = store.stats().sweep;
      gcPauses.length = 0;
      heapProfile
        ?.post("HeapProfiler.startSampling", {
          samplingInterval: 4096,
          includeObjectsCollectedByMajorGC: true,
          includeObjectsCollectedByMinorGC: true,
        })
        .catch((e: unknown) => process.stderr.write(`heap profile: ${String(e)}\n`));
      histogram.reset();
      histogram.enable();
      meter.start();
      gcObserver.observe({ entryTypes: ["gc"] });
      const poll = setInterval(() => {
        const left = store.repository.stats().keys; // the keyspace's count: not the whole stats tree every 5 ms
        if (left >= count / 100 && Date.now() - dueAt <= maxSeconds * 1000) return;
        clearInterval(poll);
        histogram.disable();
        const loop = meter.stop();
        gcObserver.disconnect();
        const sweep = store.stats().sweep;
        const longest = [...gcPauses].sort((a, b) => b.ms - a.ms).slice(0, 5);
        const result = {
          drainMs: Date.now() - dueAt,
          left,
          loopDelayMaxMs: histogram.max / 1e6,
          loopDelayP99Ms: histogram.percentile(99) / 1e6,
          loopCpuMaxMs: loop.cpuMaxMs,
          loopProcessCpuMaxMs: loop.processCpuMaxMs,
          loopWaitMaxMs: loop.waitMaxMs,
          loopWallAtCpuMaxMs: loop.wallAtCpuMaxMs,
          // Slices before the deadline found nothing due (microseconds), so the running max is the drain's.
          sweepLongestSliceMs: sweep.longestSliceMs,
          sweepSlices: sweep.slices - before.slices,
          gcSettled,
          gcPauses: gcPauses.length,
          scavenges: gcPauses.filter((g) => g.kind === "scavenge").length,
          rssBytes: process.memoryUsage.rss(),
          gcMaxMs: longest[0]?.ms ?? 0,
          gcTotalMs: Math.round(gcPauses.reduce((t, g) => t + g.ms, 0) * 100) / 100,
          gcLongest: longest,
        };
        // The profile's line goes out before the result, which ends the round (the parent stops this process).
        const report = () => process.stdout.write(`${JSON.stringify(result)}\n`);
        if (heapProfile === undefined) report();
        else
          heapProfile
            .post("HeapProfiler.stopSampling")
            .then(
              ({ profile }) => {
                const sites = allocationSites(profile.head as unknown as SampleNode);
                const total = sites.reduce((t, x) => t + x.bytes, 0);
                process.stderr.write(`${JSON.stringify({ heapSampledBytes: total, sites: sites.slice(0, 30) })}\n`);
              },
              (e: unknown) => process.stderr.write(`heap profile: ${String(e)}\n`),
            )
            .finally(report);
      }, 5);
    },
    Math.max(0, dueAt - Date.now()),
  );
}

createInterface({ input: process.stdin }).on("line", (line) => {
  const [verb, due, count, gc] = line.trim().split(" ");
  if (verb === "watch") watch(Number(due), Number(count), gc === "gc");
});

const stop = () => {
  meter.close();
  server.close().then(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
