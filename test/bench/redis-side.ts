import { Redis } from "ioredis";
import { loadNow } from "./expiry.js";
import { ChildProbe } from "./probe.js";
import { benchKey, benchValue, loadDueAtOnce } from "./resp-load.js";

async function load(redis: Redis, count: number, extra: (i: number) => string[], from = 0): Promise<void> {
  for (let i = from; i < count; i += 1000) {
    const p = redis.pipeline();
    for (let j = i; j < Math.min(count, i + 1000); j++) p.set(benchKey(j), benchValue(j), ...(extra(j) as []));
    await p.exec();
  }
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info("memory");
  return Number(/used_memory:(\d+)/.exec(info)?.[1]);
}

/** Redis bytes per key (INFO used_memory delta / keys) for `count` small keys, with or without a TTL. */
export async function redisBytesPerKey(port: number, count: number, ttl: boolean): Promise<number> {
  const redis = new Redis({ host: "127.0.0.1", port });
  try {
    await redis.flushall(); // our own instance, started by the bench
    const before = await usedMemory(redis);
    await load(redis, count, ttl ? () => ["PX", "3600000"] : () => []);
    const after = await usedMemory(redis);
    await redis.flushall();
    return (after - before) / count;
  } finally {
    redis.disconnect();
  }
}

/** What the mass-expiry workload measured on Redis. */
export interface RedisExpiry {
  readonly drainMs: number;
  readonly left: number;
  readonly probeMaxMs: number;
  readonly probeMedianMs: number;
  /** The same client's longest round trip over a window as long, a second after the drain (server idle). */
  readonly idleProbeMaxMs: number;
  /**
   * Redis's own longest `expire-cycle` (LATENCY LATEST with latency-monitor-threshold 1: wall ms of
   * one activeExpireCycle call, as our longest sweep slice), 0 when none reached 1 ms.
   */
  readonly expireCycleMaxMs: number;
  /** Wall ms of the RESP load, and keys sent again because the deadline had to move (0 normally). */
  readonly loadMs: number;
  readonly loadResent: number;
  /** The host's 1-minute load average when the drain ended. */
  readonly loadAverage: number;
}

/**
 * Redis under mass expiry: `count` keys due at one instant, loaded through the same RESP pipe as
 * Memorabilia (resp-load.ts); drain time (DBSIZE below 1 %, counted from the deadline), the
 * longest PING round trip seen meanwhile, and Redis's own longest expire cycle.
 */
export async function redisMassExpiry(port: number, count: number, maxSeconds: number): Promise<RedisExpiry> {
  const redis = new Redis({ host: "127.0.0.1", port });
  let probe: ChildProbe | undefined;
  try {
    await redis.flushall();
    const load = await loadDueAtOnce(port, count);
    const dueAt = load.dueAt;
    await redis.call("CONFIG", "SET", "latency-monitor-threshold", "1");
    await redis.call("LATENCY", "RESET");
    probe = await ChildProbe.open("redis", String(port));
    await new Promise((r) => setTimeout(r, Math.max(0, dueAt - Date.now()))); // from the deadline, as for Memorabilia
    probe.start();
    let left = count;
    while (Date.now() < dueAt + maxSeconds * 1000) {
      left = await redis.dbsize();
      if (Date.now() > dueAt && left < count / 100) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const drainMs = Date.now() - dueAt;
    const loadAverage = loadNow();
    await new Promise((r) => setTimeout(r, 200));
    const p = await probe.stop();
    const latest = (await redis.call("LATENCY", "LATEST")) as [string, number, number, number][];
    const cycle = latest.find((e) => e[0] === "expire-cycle");
    const idle = await probe.idleWindow(drainMs + 200);
    await redis.flushall();
    return {
      drainMs,
      left,
      probeMaxMs: p.maxMs,
      probeMedianMs: p.medianMs,
      idleProbeMaxMs: idle.maxMs,
      expireCycleMaxMs: cycle === undefined ? 0 : Number(cycle[3]),
      loadMs: Math.round(load.loadMs),
      loadResent: load.resent,
      loadAverage,
    };
  } finally {
    await probe?.close();
    redis.disconnect();
  }
}

/**
 * Redis bytes per stream entry (INFO used_memory delta / entries) for `count` entries appended
 * to one stream as the Memorabilia child appends them (`XADD s <id> field <8-byte value>`).
 */
export async function redisBytesPerStreamEntry(port: number, count: number): Promise<number> {
  const redis = new Redis({ host: "127.0.0.1", port });
  try {
    await redis.flushall(); // our own instance, started by the bench
    const before = await usedMemory(redis);
    for (let i = 0; i < count; i += 1000) {
      const p = redis.pipeline();
      for (let j = i; j < Math.min(count, i + 1000); j++) {
        p.xadd("s", `${1_700_000_000_000 + Math.floor(j / 10)}-${j % 10}`, "field", j.toString(36).padStart(8, "v"));
      }
      await p.exec();
    }
    const after = await usedMemory(redis);
    await redis.flushall();
    return (after - before) / count;
  } finally {
    redis.disconnect();
  }
}
