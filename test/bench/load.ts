import { cpuMs } from "./processes.js";
import type { Sample } from "./stats.js";

/** Bounds of one timed segment of network load. */
export interface LoadBounds {
  /** Requests in flight. */
  readonly concurrency: number;
  /** Stop after this many calls. */
  readonly maxCalls: number;
  /** …or after this many milliseconds, whichever comes first. */
  readonly maxMs: number;
}

/** What one call does; `i` is a running call number (for keys). Resolves with the operations it did. */
export type Call = (i: number) => Promise<number>;

/**
 * Runs `call` with `concurrency` calls in flight until a bound is reached, and measures the
 * operations completed, wall time and the server's CPU time meanwhile (`cpu`: /proc/PID/stat by
 * default; `cpuMsPrecise` of processes.ts for short segments).
 */
export async function timedLoad(
  call: Call,
  bounds: LoadBounds,
  serverPid: number | undefined,
  label: { group: string; op: string; target: string; round: number },
  cpu: (pid: number) => number | undefined = cpuMs,
): Promise<Sample> {
  let next = 0;
  let ops = 0;
  let errors = 0;
  let firstError: unknown;
  const cpu0 = serverPid === undefined ? undefined : cpu(serverPid);
  const t0 = performance.now();
  const deadline = t0 + bounds.maxMs;
  const worker = async () => {
    while (next < bounds.maxCalls && performance.now() < deadline) {
      const i = next++;
      try {
        // Not `ops += await call(i)`: that reads `ops` before the await and loses the other
        // workers' increments made meanwhile.
        const done = await call(i);
        ops += done;
      } catch (error) {
        errors++;
        firstError ??= error;
        if (errors > 100) throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: bounds.concurrency }, worker)).catch(() => {});
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = serverPid === undefined ? undefined : cpu(serverPid);
  if (errors > 0 && ops === 0) throw firstError;
  return {
    ...label,
    ops,
    seconds,
    errors,
    serverCpuMs: cpu0 === undefined || cpu1 === undefined ? undefined : cpu1 - cpu0,
  };
}
