import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { bundleEntry } from "./bundle.js";
import { ChildProbe } from "./probe.js";
import { freePort, track } from "./processes.js";

/** What the mass-expiry workload measured on the Memorabilia server. */
export interface MemorabiliaExpiry {
  readonly drainMs: number;
  readonly left: number;
  /** Longest event-loop delay inside the server (monitorEventLoopDelay, 1 ms resolution). */
  readonly loopDelayMaxMs: number;
  readonly loopDelayP99Ms: number;
  /** Longest and median gRPC Health.Check round trip seen by a concurrent client. */
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
}

/**
 * The Memorabilia server (expiry-child.ts) with `count` keys due at one instant, probed by a
 * sequential gRPC client from this process from just before the deadline until drained.
 */
export async function memorabiliaMassExpiry(
  count: number,
  maxSeconds: number,
  options: MassExpiryOptions = {},
): Promise<MemorabiliaExpiry> {
  const port = await freePort();
  const settle = options.gcSettle ?? false;
  const child = spawn(
    process.execPath,
    [
      ...(settle ? ["--expose-gc"] : []),
      ...(options.heapMiB === undefined ? [] : [`--max-old-space-size=${options.heapMiB}`]),
      bundleEntry("test/bench/expiry-child.ts", "bench-expiry-child"),
      String(port),
      String(count),
      String(maxSeconds),
      ...(settle ? ["--gc-settle"] : []),
    ],
    { cwd: process.cwd(), stdio: ["ignore", "pipe", "pipe"] },
  );
  const started = track("memorabilia (mass expiry)", child, port, `http://127.0.0.1:${port}`);
  const stderr: string[] = [];
  createInterface({ input: child.stderr }).on("line", (l) => stderr.length < 50 && stderr.push(l));
  const lines = createInterface({ input: child.stdout });
  const messages: Record<string, unknown>[] = [];
  let wake: (() => void) | undefined;
  lines.on("line", (line) => {
    if (!line.startsWith("{")) return;
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
    const ready = await next(120_000 + count / 10);
    const dueAt = ready.dueAt as number;
    const probe = await ChildProbe.open("grpc", ready.listening as string);
    try {
      // Record from the deadline, the window the server's event-loop histogram covers: before it, the
      // round trips carry the load phase's garbage collections, not the expiry.
      await new Promise((r) => setTimeout(r, Math.max(0, dueAt - Date.now())));
      probe.start();
      const result = await next(maxSeconds * 1000 + 10_000);
      if (typeof result.error === "string") throw new Error(result.error);
      await new Promise((r) => setTimeout(r, 200));
      const p = await probe.stop();
      const idle = await probe.idleWindow((result.drainMs as number) + 200);
      return {
        drainMs: result.drainMs as number,
        left: result.left as number,
        loopDelayMaxMs: result.loopDelayMaxMs as number,
        loopDelayP99Ms: result.loopDelayP99Ms as number,
        probeMaxMs: p.maxMs,
        probeMedianMs: p.medianMs,
        idleProbeMaxMs: idle.maxMs,
        sweepLongestSliceMs: result.sweepLongestSliceMs as number,
        sweepSlices: result.sweepSlices as number,
        gcSettled: result.gcSettled as boolean,
      };
    } finally {
      await probe.close();
    }
  } finally {
    await started.stop();
  }
}
