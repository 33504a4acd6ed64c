import type { MemorabiliaExpiry } from "./expiry.js";
import type { RedisExpiry } from "./redis-side.js";

/** The stall target of issue 18 (ms). */
export const STALL_TARGET_MS = 5;

/** One mass-expiry round judged against the targets. */
export interface ExpiryRoundVerdict {
  /** Wall clock: the server's event-loop delay max ≤ 5 ms and ≤ Redis's PING stall (max − median) of the round. */
  readonly wall: boolean;
  /** The server's own work: its CPU between two 1 ms ticks ≤ 5 ms and ≤ Redis's longest expire cycle. */
  readonly cpu: boolean;
  /** Drained to < 1 % no later than Redis. */
  readonly drain: boolean;
  /**
   * The host's own noise: the probe's longest round trip against an idle server (either side)
   * exceeds 5 ms, so a wall-clock stall of 5 ms cannot be told from scheduling in this round.
   */
  readonly noisy: boolean;
  /** One line: the figures and the verdicts. */
  readonly text: string;
}

const f = (x: number): string => (Number.isFinite(x) ? (x >= 100 ? Math.round(x).toString() : x.toFixed(2)) : "–");

/** The stall Redis's clients saw: the PING probe's longest round trip above its median. */
export function redisStallMs(r: RedisExpiry): number {
  return r.probeMaxMs - r.probeMedianMs;
}

/** Judges one round (Redis may be missing: then only the 5 ms bound is judged). */
export function judgeExpiryRound(ours: MemorabiliaExpiry, redis: RedisExpiry | undefined): ExpiryRoundVerdict {
  const redisWall = redis === undefined ? Number.POSITIVE_INFINITY : redisStallMs(redis);
  const redisCycle = redis === undefined ? Number.POSITIVE_INFINITY : Math.max(redis.expireCycleMaxMs, 1);
  const wall = ours.loopDelayMaxMs <= STALL_TARGET_MS && ours.loopDelayMaxMs <= redisWall;
  // Redis reports cycles of 1 ms and more only (latency-monitor-threshold 1): below that it counts as 1 ms.
  const cpu = ours.loopCpuMaxMs <= STALL_TARGET_MS && ours.loopCpuMaxMs <= redisCycle;
  const drain = redis === undefined || ours.drainMs <= redis.drainMs;
  const idle = Math.max(ours.idleProbeMaxMs, redis?.idleProbeMaxMs ?? 0);
  const noisy = idle > STALL_TARGET_MS;
  // How busy the host was in this round, from three sides: the 1-minute load average when the
  // drain ended, the longest time the server's main thread sat runnable without a CPU (schedstat),
  // and the PING probe's worst round trip against the idle server.
  const host =
    `host: load ${f(ours.loadAverage)}, server waited ≤ ${f(ours.loopWaitMaxMs)} ms for a CPU, ` +
    `idle probe ${f(idle)} ms (${idle > STALL_TARGET_MS || ours.loopWaitMaxMs > STALL_TARGET_MS ? "busy" : "quiet"}); `;
  const text =
    host +
    `wall: loop delay ${f(ours.loopDelayMaxMs)} ms vs Redis PING stall ${f(redisWall)} → ${wall ? "pass" : "miss"}` +
    `${noisy ? ` (host noise: idle probe ${f(idle)} ms > ${STALL_TARGET_MS}, wall figures not verifiable)` : ""}; ` +
    `cpu: ${f(ours.loopCpuMaxMs)} ms vs Redis expire cycle ${redis === undefined ? "–" : f(redis.expireCycleMaxMs)} → ${cpu ? "pass" : "miss"}; ` +
    `drain ${f(ours.drainMs)} vs ${redis === undefined ? "–" : f(redis.drainMs)} ms → ${drain ? "pass" : "miss"}`;
  return { wall, cpu, drain, noisy, text };
}
