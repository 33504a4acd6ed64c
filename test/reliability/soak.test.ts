/**
 * A bounded soak: several clients run mixed commands (strings, counters, lists, hashes, sets,
 * sorted sets, deletes, keys with TTLs) while watchers stream keyspace events. The final state must
 * equal a model of the same operations, every key with a TTL must be gone after its deadline, and
 * the heap must return near its baseline once they are. `MEMORABILIA_SOAK_MS` sets the duration
 * (default 4 s in npm test; `npm run bench` runs minutes).
 */

import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { createClient, type Transport } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MemorabiliaServer, startServer } from "../../server/app.js";
import { loadConfig } from "../../server/config.js";
import { WatchService } from "../../shared/gen/memorabilia/v1/watch_service_pb.js";
import { commandClient, transports } from "./support.js";

const SOAK_MS = Number(process.env.MEMORABILIA_SOAK_MS ?? 4000);
const CLIENTS = 6;

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
const heapUsed = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

type Model = Map<string, string | string[] | Map<string, string> | Set<string> | Map<string, number>>;

let seed = 99;
const rnd = (): number => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
const pick = (n: number): number => Math.floor(rnd() * n);

describe("soak", () => {
  let server: MemorabiliaServer;
  beforeAll(async () => {
    const loaded = loadConfig(["--port", "0", "--log-level", "warn", "--sweep-pattern", "* * * * * *"]);
    if (loaded.help) throw new Error("help");
    server = await startServer(loaded.config);
  });
  afterAll(async () => {
    await server?.close();
  });

  it(`${CLIENTS} clients and 2 watchers for ${SOAK_MS} ms: the state matches the model, TTL keys vanish, memory returns`, async () => {
    const ts = transports(server.url);
    // Watchers: one on every key, one on the expiring keys only.
    const seen = { all: 0, expired: 0 };
    const stop = new AbortController();
    // Each watch confirms its subscription with a first heartbeat: the load starts after both.
    const subscribed: Promise<void>[] = [];
    const watch = async (pattern: string, key: "all" | "expired"): Promise<void> => {
      const client = createClient(WatchService, ts[3]?.[1] as Transport);
      let confirm: () => void = () => {};
      subscribed.push(
        new Promise<void>((resolve) => {
          confirm = resolve;
        }),
      );
      try {
        for await (const m of client.watch({ pattern }, { signal: stop.signal })) {
          confirm();
          if (m.kind.case === "events") seen[key] += m.kind.value.events.length;
        }
      } catch {
        // aborted at the end
      }
    };
    const watchers = [watch("soak:*", "all"), watch("soak:*:ttl:*", "expired")];
    await Promise.all(subscribed);
    // Until no key with a TTL is left (the active sweep, nobody reading them), bounded.
    const ttlKeysGone = async (): Promise<number> => {
      const deadline = Date.now() + 30_000;
      while (server.store.stats().keysWithTtl > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      return server.store.stats().keysWithTtl;
    };

    let models: Model[] = [];
    let ops = 0;
    let ttlKeys = 0;
    let deadline = 0;
    let prefix = "warm";
    const client = async (c: number): Promise<void> => {
      const model: Model = new Map();
      models.push(model);
      const exec = commandClient(ts[c % ts.length]?.[1] as Transport);
      const k = (kind: string): string => `${prefix}:${c}:${kind}:${pick(20)}`;
      while (Date.now() < deadline) {
        ops++;
        switch (pick(9)) {
          case 0: {
            const key = k("s");
            const v = `v${pick(1000)}`;
            await exec("SET", key, v);
            model.set(key, v);
            break;
          }
          case 1: {
            const key = k("n");
            const got = await exec("INCRBY", key, "3");
            const next = Number(model.get(key) ?? 0) + 3;
            expect(got).toBe(next);
            model.set(key, String(next));
            break;
          }
          case 2: {
            const key = k("l");
            const v = `e${pick(100)}`;
            await exec("RPUSH", key, v);
            const list = (model.get(key) as string[] | undefined) ?? [];
            list.push(v);
            model.set(key, list);
            if (pick(2) === 0) {
              const popped = await exec("LPOP", key);
              expect(popped).toBe(list.shift());
              if (list.length === 0) model.delete(key);
            }
            break;
          }
          case 3: {
            const key = k("h");
            const f = `f${pick(10)}`;
            const v = `v${pick(100)}`;
            await exec("HSET", key, f, v);
            const h = (model.get(key) as Map<string, string> | undefined) ?? new Map();
            h.set(f, v);
            model.set(key, h);
            break;
          }
          case 4: {
            const key = k("set");
            const m = `m${pick(10)}`;
            const s = (model.get(key) as Set<string> | undefined) ?? new Set();
            if (pick(3) === 0) {
              expect(await exec("SREM", key, m)).toBe(s.delete(m) ? 1 : 0);
              if (s.size === 0) model.delete(key);
              else model.set(key, s);
            } else {
              expect(await exec("SADD", key, m)).toBe(s.has(m) ? 0 : 1);
              s.add(m);
              model.set(key, s);
            }
            break;
          }
          case 5: {
            const key = k("z");
            const m = `m${pick(10)}`;
            const score = pick(100);
            await exec("ZADD", key, String(score), m);
            const z = (model.get(key) as Map<string, number> | undefined) ?? new Map();
            z.set(m, score);
            model.set(key, z);
            break;
          }
          case 6: {
            const key = k(["s", "l", "h", "set", "z", "n"][pick(6)] as string);
            expect(await exec("DEL", key)).toBe(model.delete(key) ? 1 : 0);
            break;
          }
          default: {
            // Expiring keys (not in the model: they must all be gone at the end).
            const batch = ops;
            await Promise.all(
              Array.from({ length: 20 }, (_, j) => {
                ttlKeys++;
                return exec(
                  "SET",
                  `${prefix}:${c}:ttl:${batch}:${j}`,
                  "x".repeat(2000),
                  "PX",
                  String(200 + pick(1500)),
                );
              }),
            );
          }
        }
      }
    };
    // Warm-up with the same workload on other keys (connections, JIT, pools), until it expired:
    // the baseline is a server that has served, not a cold one.
    deadline = Date.now() + 1500;
    await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
    const warmKeys = models.reduce((n, m) => n + m.size, 0);
    expect(await ttlKeysGone()).toBe(0);
    const baseline = heapUsed();
    models = [];
    ops = 0;
    ttlKeys = 0;
    prefix = "soak";
    deadline = Date.now() + SOAK_MS;
    await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
    const peakHeap = heapUsed();

    // Every TTL key passes its deadline; the active sweep reclaims them without any access.
    expect(await ttlKeysGone()).toBe(0);
    const exec = commandClient(ts[0]?.[1] as Transport);
    const modelKeys = models.reduce((n, m) => n + m.size, 0);
    expect(server.store.stats().keys).toBe(modelKeys + warmKeys);
    expect(await exec("DBSIZE")).toBe(modelKeys + warmKeys);

    // The final state equals the model, key by key.
    for (const model of models) {
      for (const [key, v] of model) {
        if (typeof v === "string") expect(await exec("GET", key), key).toBe(v);
        else if (Array.isArray(v)) expect(await exec("LRANGE", key, "0", "-1"), key).toEqual(v);
        else if (v instanceof Set)
          expect(((await exec("SMEMBERS", key)) as string[]).sort(), key).toEqual([...v].sort());
        else if (key.includes(":h:")) {
          const flat = (await exec("HGETALL", key)) as string[];
          const got = new Map<string, string>();
          for (let i = 0; i < flat.length; i += 2) got.set(flat[i] as string, flat[i + 1] as string);
          expect(got, key).toEqual(v);
        } else {
          const flat = (await exec("ZRANGE", key, "0", "-1", "WITHSCORES")) as string[];
          const got = new Map<string, number>();
          for (let i = 0; i < flat.length; i += 2) got.set(flat[i] as string, Number(flat[i + 1]));
          expect(got, key).toEqual(v);
        }
      }
    }
    stop.abort();
    await Promise.all(watchers);
    const after = heapUsed();
    console.info(
      `soak: ${ops} ops from ${CLIENTS} clients in ${SOAK_MS} ms (${Math.round(ops / (SOAK_MS / 1000))}/s), ${ttlKeys} expiring keys, ${modelKeys} keys at the end; watchers saw ${seen.all} events (${seen.expired} on TTL keys); heap baseline ${(baseline / 1e6).toFixed(1)} MB, peak ${(peakHeap / 1e6).toFixed(1)} MB, after expiry ${(after / 1e6).toFixed(1)} MB`,
    );
    expect(seen.all).toBeGreaterThan(ops / 2);
    expect(seen.expired).toBeGreaterThanOrEqual(ttlKeys); // set + expired for each
    // Back near the baseline: what remains is the model's persistent keys and noise.
    expect(after - baseline).toBeLessThan(Math.max(3e6, (peakHeap - baseline) * 0.3));
  }, 60_000);
});
