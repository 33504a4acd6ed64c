import { spawn } from "node:child_process";
import { appendFileSync } from "node:fs";
import { loadavg } from "node:os";
import { createInterface } from "node:readline";
import {
  DEFAULT_YOUNG_GENERATION_MB,
  semiSpaceChosen,
  youngGenerationNodeFlags,
} from "../../server/young-generation.js";
import { bundleEntry } from "./bundle.js";
import { ChildProbe } from "./probe.js";
import { track } from "./processes.js";
import { loadDueAtOnce } from "./resp-load.js";

/** What the mass-expiry workload measured on the Memorabilia server. */
export interface MemorabiliaExpiry {
  readonly drainMs: number;
  readonly left: number;
  /** Longest event-loop delay inside the server (monitorEventLoopDelay, 1 ms resolution): wall clock. */
  readonly loopDelayMaxMs: number;
  readonly loopDelayP99Ms: number;
  /** Most CPU the server's main thread used between two ticks of a 1 ms timer (loop-stall.ts): its own stall, apart from the host's. */
  readonly loopCpuMaxMs: number;
  /** The same with every thread of the server (GC helpers, JIT compiler): an upper bound. */
  readonly loopProcessCpuMaxMs: number;
  /** Longest wait of the server's main thread for a CPU between two ticks (the host's preemption). */
  readonly loopWaitMaxMs: number;
  /** Longest and median PING round trip seen by a concurrent client on the RESP port (the same probe as Redis's). */
  readonly probeMaxMs: number;
  readonly probeMedianMs: number;
  /** The same client's longest round trip over a window as long, a second after the drain (server idle). */
  readonly idleProbeMaxMs: number;
  /** Longest sweep slice timed inside the server (performance.now around each slice; GC pauses inside it count). */
  readonly sweepLongestSliceMs: number;
  /** Sweep slices from the deadline until drained. */
  readonly sweepSlices: number;
  /** True when a full GC ran after loading, before the deadline ({@link MassExpiryOptions.gcSettle}). */
  readonly gcSettled: boolean;
  /** GC pauses from the deadline until drained: count, longest, total ms. */
  readonly gcPauses: number;
  readonly gcMaxMs: number;
  readonly gcTotalMs: number;
  /** Wall ms of the RESP load, and keys sent again because the deadline had to move (0 normally). */
  readonly loadMs: number;
  readonly loadResent: number;
  /** The host's 1-minute load average when the drain ended. */
  readonly loadAverage: number;
  /** The server's V8 semi-space size (MiB; 0: Node's default, 16): {@link MassExpiryOptions.youngGenerationMb}. */
  readonly youngGenerationMb: number;
  /** Scavenges (young-generation GCs) from the deadline until drained: each visits every old-space page. */
  readonly scavenges: number;
  /** The server's resident set (bytes) when drained. */
  readonly rssBytes: number;
}

/** Options of {@link memorabiliaMassExpiry}. */
export interface MassExpiryOptions {
  /**
   * Run the server with `--expose-gc` and a full GC after loading, before the deadline, so the
   * figure shows the drain without the load's garbage (reported beside the default, never instead).
   * @default false
   */
  readonly gcSettle?: boolean;
  /** The server's `--max-old-space-size` (MiB), for keyspaces past Node's default heap limit. */
  readonly heapMiB?: number;
  /** More node flags for the server (profiling: `--cpu-prof`, `--trace-gc`). */
  readonly nodeFlags?: readonly string[];
  /**
   * The server's semi-space size (MiB), on its node command line as `npm start` gives it
   * (server/young-generation.ts); 0 for Node's default. Ignored when `nodeFlags` sets one.
   * @default the server's default, DEFAULT_YOUNG_GENERATION_MB
   */
  readonly youngGenerationMb?: number;
}

/**
 * The Memorabilia server (expiry-child.ts) loaded through its RESP port with `count` keys due at
 * one instant (resp-load.ts, the loader Redis gets), probed by a sequential PING client on the
 * same port (the probe Redis gets) from the deadline until drained, then over an idle window.
 */
export async function memorabiliaMassExpiry(
  count: number,
  maxSeconds: number,
  options: MassExpiryOptions = {},
): Promise<MemorabiliaExpiry> {
  const settle = options.gcSettle ?? false;
  // expiry-child.ts runs the server in-process (no main.ts, no relaunch): the flag goes here.
  const chosen = semiSpaceChosen(options.nodeFlags ?? [], undefined);
  const youngGenerationMb = chosen ? Number.NaN : (options.youngGenerationMb ?? DEFAULT_YOUNG_GENERATION_MB);
  const youngFlags = chosen ? [] : youngGenerationNodeFlags(youngGenerationMb);
  const child = spawn(
    process.execPath,
    [
      ...(settle ? ["--expose-gc"] : []),
      ...(options.heapMiB === undefined ? [] : [`--max-old-space-size=${options.heapMiB}`]),
      ...youngFlags,
      ...(options.nodeFlags ?? []),
      bundleEntry("test/bench/expiry-child.ts", "bench-expiry-child"),
      String(maxSeconds),
    ],
    { cwd: process.cwd(), stdio: ["pipe", "pipe", "pipe"] },
  );
  const started = track("memorabilia (mass expiry)", child, 0, "memorabilia (mass expiry)");
  const stderr: string[] = [];
  createInterface({ input: child.stderr }).on("line", (l) => stderr.length < 50 && stderr.push(l));
  const lines = createInterface({ input: child.stdout });
  const messages: Record<string, unknown>[] = [];
  let wake: (() => void) | undefined;
  // EXPIRY_CHILD_LOG=<file>: the child's other stdout lines (node's --trace-gc output) go to that file.
  const childLog = process.env.EXPIRY_CHILD_LOG;
  lines.on("line", (line) => {
    if (!line.startsWith("{")) {
      if (childLog !== undefined) appendFileSync(childLog, `${line}\n`);
      return;
    }
    messages.push(JSON.parse(line) as Record<string, unknown>);
    wake?.();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const next = async (timeoutMs: number): Promise<Record<string, unknown>> => {
    const deadline = Date.now() + timeoutMs;
    while (messages.length === 0) {
      if (Date.now() > deadline || child.exitCode !== null) {
        throw new Error(`mass-expiry server gave no result:\n${stderr.join("\n")}`);
      }
      await Promise.race([new Promise<void>((r) => (wake = r)), exited, new Promise((r) => setTimeout(r, 500))]);
    }
    return messages.shift() as Record<string, unknown>;
  };
  try {
    const ready = await next(120_000);
    const respPort = ready.respPort as number;
    const load = await loadDueAtOnce(respPort, count);
    child.stdin?.write(`watch ${load.dueAt} ${count}${settle ? " gc" : ""}\n`);
    const probe = await ChildProbe.open("redis", String(respPort));
    try {
      // Record from the deadline, the window the server's event-loop histogram covers.
      await new Promise((r) => setTimeout(r, Math.max(0, load.dueAt - Date.now())));
      probe.start();
      const result = await next(maxSeconds * 1000 + 10_000);
      const loadAverage = loadNow();
      await new Promise((r) => setTimeout(r, 200));
      const p = await probe.stop();
      const idle = await probe.idleWindow((result.drainMs as number) + 200);
      return {
        drainMs: result.drainMs as number,
        left: result.left as number,
        loopDelayMaxMs: result.loopDelayMaxMs as number,
        loopDelayP99Ms: result.loopDelayP99Ms as number,
        loopCpuMaxMs: result.loopCpuMaxMs as number,
        loopProcessCpuMaxMs: result.loopProcessCpuMaxMs as number,
        loopWaitMaxMs: result.loopWaitMaxMs as number,
        probeMaxMs: p.maxMs,
        probeMedianMs: p.medianMs,
        idleProbeMaxMs: idle.maxMs,
        sweepLongestSliceMs: result.sweepLongestSliceMs as number,
        sweepSlices: result.sweepSlices as number,
        gcSettled: result.gcSettled as boolean,
        gcPauses: result.gcPauses as number,
        gcMaxMs: result.gcMaxMs as number,
        gcTotalMs: result.gcTotalMs as number,
        loadMs: Math.round(load.loadMs),
        loadResent: load.resent,
        loadAverage,
        youngGenerationMb,
        scavenges: result.scavenges as number,
        rssBytes: result.rssBytes as number,
      };
    } finally {
      await probe.close();
    }
  } finally {
    await started.stop();
    // EXPIRY_TRACE=1 / EXPIRY_HEAP_PROFILE=1: the child's batch trace or allocation sites (printed at its exit) goes to this process's stderr.
    if (process.env.EXPIRY_TRACE === "1" || process.env.EXPIRY_HEAP_PROFILE === "1") {
      await new Promise((r) => setTimeout(r, 300)); // stderr's last line may follow the exit
      for (const line of stderr) process.stderr.write(`${line}\n`);
    }
  }
}

/** The 1-minute load average (os.loadavg), rounded to 0.01. */
export function loadNow(): number {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}
