import { Redis } from "ioredis";
import { ChildProbe } from "./probe.js";

/** Key i and value i, the same bytes the Memorabilia children store (12 and 8 bytes). */
const benchKey = (i: number): string => `key:${i.toString().padStart(8, "0")}`;
const benchValue = (i: number): string => i.toString(36).padStart(8, "v");

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
}

/**
 * Redis under mass expiry: `count` keys due at one instant; drain time (DBSIZE below 1 %, counted
 * from the deadline) and the longest PING round trip seen meanwhile.
 */
export async function redisMassExpiry(port: number, count: number, maxSeconds: number): Promise<RedisExpiry> {
  const redis = new Redis({ host: "127.0.0.1", port });
  let probe: ChildProbe | undefined;
  try {
    await redis.flushall();
    // As expiry-child.ts: every key loaded without a TTL (timed), then one deadline 4x that pass
    // away given to all of them (PEXPIREAT, pipelined).
    const t0 = performance.now();
    await load(redis, count, () => []);
    const dueAt = Date.now() + 3000 + Math.ceil(4 * (performance.now() - t0));
    for (let i = 0; i < count; i += 1000) {
      const p = redis.pipeline();
      for (let j = i; j < Math.min(count, i + 1000); j++) p.pexpireat(benchKey(j), dueAt);
      await p.exec();
    }
    if (Date.now() + 1000 > dueAt)
      throw new Error(`loading ${count} keys into Redis ran into the deadline (host too busy)`);
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
    await new Promise((r) => setTimeout(r, 200));
    const p = await probe.stop();
    const idle = await probe.idleWindow(drainMs + 200);
    await redis.flushall();
    return { drainMs, left, probeMaxMs: p.maxMs, probeMedianMs: p.medianMs, idleProbeMaxMs: idle.maxMs };
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
