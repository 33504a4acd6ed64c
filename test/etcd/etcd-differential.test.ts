/**
 * Differential conformance: seeded random command streams (every type family, TTLs with a manual
 * clock, MULTI/EXEC, keyspace commands) run on a Store over the Map engine and on a Store over the
 * etcd engine (a real 3-member cluster) must give identical replies and end in identical state.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EtcdRepository } from "../../server/engines/etcd/etcd-repository.js";
import { createManualClock } from "../../shared/store/clock.js";
import { StoreError } from "../../shared/store/errors.js";
import type { Reply } from "../../shared/store/reply.js";
import { createStore, type Store } from "../../shared/store/store.js";
import { seededRandom } from "../../shared/store/testing.js";
import { type EtcdCluster, startEtcdCluster } from "../support/etcd-cluster.js";

/** A reply made comparable: errors by message, unordered replies sorted. */
function normalize(reply: Reply | Reply[] | null | StoreError, sort: boolean): unknown {
  if (reply instanceof StoreError) return { error: reply.message };
  const plain = JSON.parse(JSON.stringify(reply, (_k, v) => (typeof v === "bigint" ? `${v}n` : v)));
  if (sort && Array.isArray(plain)) return [...plain].map((x) => JSON.stringify(x)).sort();
  return plain;
}

const UNORDERED = new Set(["SMEMBERS", "HGETALL", "HKEYS", "HVALS", "KEYS", "SINTER", "SUNION", "SDIFF"]);

/** Generates one random command over a small keyspace (so commands collide and types clash). */
function generator(seed: number) {
  const r = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const key = () => pick(["a", "b", "c", "d", "e", "k:1", "k:2", "h", "l", "s", "z"]);
  const num = () => String(Math.floor(r() * 20) - 5);
  const word = () => pick(["x", "y", "zz", "10", "-3", "3.5", "hello", ""]);
  const commands: (() => string[])[] = [
    () => ["SET", key(), word()],
    () => ["SET", key(), word(), "PX", String(50 + Math.floor(r() * 400))],
    () => ["SET", key(), word(), pick(["NX", "XX", "KEEPTTL", "GET"])],
    () => ["GET", key()],
    () => ["INCR", key()],
    () => ["INCRBY", key(), num()],
    () => ["APPEND", key(), word()],
    () => ["DEL", key(), key()],
    () => ["EXISTS", key(), key()],
    () => ["PEXPIRE", key(), String(Math.floor(r() * 500))],
    () => ["PTTL", key()],
    () => ["PERSIST", key()],
    () => ["TYPE", key()],
    () => ["LPUSH", key(), word(), word()],
    () => ["RPUSH", key(), word()],
    () => ["LPOP", key()],
    () => ["LRANGE", key(), "0", "-1"],
    () => ["LMOVE", key(), key(), pick(["LEFT", "RIGHT"]), pick(["LEFT", "RIGHT"])],
    () => ["HSET", key(), word(), word()],
    () => ["HINCRBY", key(), word(), num()],
    () => ["HDEL", key(), word()],
    () => ["HGETALL", key()],
    () => ["SADD", key(), word(), word()],
    () => ["SREM", key(), word()],
    () => ["SMEMBERS", key()],
    () => ["SMOVE", key(), key(), word()],
    () => ["ZADD", key(), num(), word()],
    () => ["ZINCRBY", key(), num(), word()],
    () => ["ZRANGE", key(), "0", "-1", "WITHSCORES"],
    () => ["ZUNIONSTORE", key(), "2", key(), key()],
    () => ["RENAME", key(), key()],
    () => ["COPY", key(), key(), "REPLACE"],
    () => ["MSET", key(), word(), key(), word()],
    () => ["MGET", key(), key(), key()],
    () => ["GETDEL", key()],
    () => ["DBSIZE"],
    () => ["KEYS", pick(["*", "k:*", "?"])],
    () => ["STRLEN", key()],
  ];
  return {
    next: () => pick(commands)(),
    multi: () => Array.from({ length: 1 + Math.floor(r() * 4) }, () => pick(commands.slice(0, 34))()),
    r,
  };
}

async function runReply(store: Store, argv: string[]): Promise<unknown> {
  try {
    return normalize(await store.exec(argv), UNORDERED.has(argv[0] as string));
  } catch (error) {
    if (error instanceof StoreError) return normalize(error, false);
    throw error;
  }
}

async function runMulti(store: Store, cmds: string[][]): Promise<unknown> {
  try {
    const replies = await store.transaction(cmds);
    return replies === null ? null : replies.map((r, i) => normalize(r, UNORDERED.has(cmds[i]?.[0] as string)));
  } catch (error) {
    if (error instanceof StoreError) return { error: error.message };
    throw error;
  }
}

/** The whole live state: each key's type, value and TTL. */
async function dump(store: Store): Promise<unknown> {
  const keys = ((await store.exec(["KEYS", "*"])) as string[]).sort();
  const out: unknown[] = [];
  for (const k of keys) {
    const type = ((await store.exec(["TYPE", k])) as { text: string }).text;
    const value =
      type === "string"
        ? await store.exec(["GET", k])
        : type === "list"
          ? await store.exec(["LRANGE", k, "0", "-1"])
          : type === "hash"
            ? normalize(await store.exec(["HGETALL", k]), true)
            : type === "set"
              ? normalize(await store.exec(["SMEMBERS", k]), true)
              : await store.exec(["ZRANGE", k, "0", "-1", "WITHSCORES"]);
    out.push([k, type, value, await store.exec(["PTTL", k])]);
  }
  return out;
}

describe("etcd engine vs Map engine (differential)", () => {
  let cluster: EtcdCluster;
  const repos: EtcdRepository[] = [];
  beforeAll(async () => {
    cluster = await startEtcdCluster();
  }, 60_000);
  afterAll(async () => {
    await Promise.all(repos.map((r) => r.close()));
    await cluster?.stop();
  }, 30_000);

  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: 250 random commands and transactions give identical replies and state`, async () => {
      const clock = createManualClock();
      // Seed 3 runs with the revision cache on: writes from cached bases, reads never from it.
      const repo = new EtcdRepository({
        endpoints: cluster.endpoints,
        prefix: `diff/${seed}/`,
        cacheKeys: seed === 3 ? 1000 : 0,
      });
      repos.push(repo);
      const map = createStore({ clock, random: seededRandom(seed) });
      const etcd = createStore({ clock, random: seededRandom(seed), repository: repo });
      const gen = generator(seed);
      for (let i = 0; i < 250; i++) {
        const roll = gen.r();
        if (roll < 0.1) {
          clock.advance(Math.floor(gen.r() * 300));
          continue;
        }
        if (roll < 0.18) {
          const cmds = gen.multi();
          const expected = await runMulti(map, cmds);
          expect(await runMulti(etcd, cmds), `step ${i}: MULTI ${JSON.stringify(cmds)}`).toEqual(expected);
          continue;
        }
        const argv = gen.next();
        const expected = await runReply(map, argv);
        expect(await runReply(etcd, argv), `step ${i}: ${argv.join(" ")}`).toEqual(expected);
      }
      expect(await dump(etcd)).toEqual(await dump(map));
    }, 90_000);
  }
});
