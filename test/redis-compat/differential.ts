/**
 * Runs the same seeded random command stream on the store (in process) and on a real
 * redis-server, and reports the first reply that differs (with the commands before it).
 */
import { writeFileSync } from "node:fs";
import { expect } from "vitest";
import { DEFAULT_LIMITS } from "../../shared/store/command.js";
import type { Reply } from "../../shared/store/reply.js";
import { createTestStore, type TestStore } from "../../shared/store/testing.js";
import { type RedisReference, type RefReply, toRefReply } from "../support/redis-reference.js";

/** Both sides' longest string (Redis's proto-max-bulk-len; the server's --max-value-bytes default). */
export const PROTO_MAX_BULK_LEN = 8 * 1024 * 1024;

/** redis-server arguments matching the store's limits in {@link runDifferential}. */
export const REDIS_CONFIG = ["--proto-max-bulk-len", String(PROTO_MAX_BULK_LEN)];

/** A small seeded PRNG (mulberry32): a run is reproducible from its seed. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random helpers over one PRNG. */
export class Gen {
  constructor(readonly random: () => number) {}
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.random() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)] as T;
  }
  chance(p: number): boolean {
    return this.random() < p;
  }
  /** A byte string of `n` random bytes. */
  bytes(n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += String.fromCharCode(this.int(0, 255));
    return s;
  }
}

/** Replies of one command on both sides, in the reference's form. */
export interface Step {
  readonly args: readonly string[];
  readonly ours: RefReply;
  readonly theirs: RefReply;
}

/** With DIFFERENTIAL_DUMP=dir, a failing run's whole command stream is written there (to replay). */
function dump(seed: number, commands: readonly (readonly string[])[]): void {
  const dir = process.env.DIFFERENTIAL_DUMP;
  if (dir) writeFileSync(`${dir}/differential-${seed}.json`, JSON.stringify(commands));
}

/** Runs one command on both sides. */
export async function both(t: TestStore, redis: RedisReference, args: readonly string[]): Promise<Step> {
  const theirs = await redis.call(args);
  const ours = toRefReply(t.run(...args.map((a) => new Uint8Array(Buffer.from(a, "latin1")))) as Reply);
  return { args, ours, theirs };
}

/**
 * Runs `steps` commands from `next` on a fresh store and on `redis` (flushed first); fails on the
 * first difference, showing the last commands. Returns how many commands ran.
 */
export async function runDifferential(
  redis: RedisReference,
  steps: number,
  next: (g: Gen, t: TestStore) => string[],
  seed: number,
  options: { normalize?: (args: readonly string[], r: RefReply) => RefReply } = {},
): Promise<number> {
  await redis.call(["FLUSHALL"]);
  const t = createTestStore({ limits: { ...DEFAULT_LIMITS, maxValueBytes: PROTO_MAX_BULK_LEN } });
  const recorder = await redis.recordEvents();
  const g = new Gen(prng(seed));
  const history: string[] = [];
  const all: (readonly string[])[] = [];
  for (let i = 0; i < steps; i++) {
    const args = next(g, t);
    const step = await both(t, redis, args);
    all.push(args);
    const norm = options.normalize ?? ((_a, r) => r);
    history.push(JSON.stringify(args).slice(0, 300));
    if (history.length > 12) history.shift();
    const ours = norm(args, step.ours);
    const theirs = norm(args, step.theirs);
    if (JSON.stringify(ours) !== JSON.stringify(theirs)) {
      dump(seed, all);
      expect({ seed, step: i, history, ours }).toEqual({ seed, step: i, history, ours: theirs });
    }
    // The keyspace events of each command, in order, must match too.
    const theirEvents = await recorder.drain();
    const ourEvents = t.events.splice(0).map((e) => `${e.event} ${e.key}`);
    if (JSON.stringify(ourEvents) !== JSON.stringify(theirEvents)) {
      expect({ last: args, events: ourEvents, seed, step: i }).toEqual({
        last: args,
        events: theirEvents,
        seed,
        step: i,
      });
    }
  }
  return steps;
}
