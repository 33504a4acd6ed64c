/**
 * The command families added after the etcd engine (streams and consumer groups, bitmaps,
 * HyperLogLog, the blocking commands' immediate forms) give the same replies on the etcd engine as
 * on the Map engine: one sequence per family, run on both — Lua scripts included, which the etcd
 * engine runs as one compare-and-swap transaction each (docs/FLEET.md).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EtcdRepository } from "../../server/engines/etcd/etcd-repository.js";
import { createScripting } from "../../server/scripting/script-commands.js";
import { createManualClock } from "../../shared/store/clock.js";
import { ALL_COMMANDS } from "../../shared/store/commands.js";
import { StoreError } from "../../shared/store/errors.js";
import { createStore, type Store } from "../../shared/store/store.js";
import { seededRandom } from "../../shared/store/testing.js";
import { type EtcdCluster, startEtcdCluster } from "../support/etcd-cluster.js";

const SEQUENCES: Record<string, string[][]> = {
  streams: [
    ["XADD", "s", "1-1", "a", "1"],
    ["XADD", "s", "1-2", "b", "2"],
    ["XADD", "s", "*", "c", "3"],
    ["XLEN", "s"],
    ["XRANGE", "s", "-", "+", "COUNT", "2"],
    ["XREVRANGE", "s", "+", "-"],
    ["XDEL", "s", "1-1"],
    ["XTRIM", "s", "MAXLEN", "1"],
    ["XGROUP", "CREATE", "s", "g", "0"],
    ["XREADGROUP", "GROUP", "g", "c1", "COUNT", "5", "STREAMS", "s", ">"],
    ["XPENDING", "s", "g"],
    ["XACK", "s", "g", "1-2"],
    ["XREAD", "COUNT", "1", "STREAMS", "s", "0"],
    ["TYPE", "s"],
    ["SCAN", "0", "TYPE", "stream"],
  ],
  bitmaps: [
    ["SETBIT", "b", "7", "1"],
    ["SETBIT", "b", "100", "1"],
    ["GETBIT", "b", "7"],
    ["BITCOUNT", "b"],
    ["BITPOS", "b", "1"],
    ["SET", "b2", "abc"],
    ["BITOP", "AND", "b3", "b", "b2"],
    ["BITFIELD", "b4", "SET", "u8", "0", "200", "INCRBY", "u8", "0", "100", "GET", "u8", "0"],
    ["GET", "b3"],
  ],
  hyperloglog: [
    ["PFADD", "h", "a", "b", "c"],
    ["PFADD", "h2", "c", "d"],
    ["PFCOUNT", "h"],
    ["PFCOUNT", "h", "h2"],
    ["PFMERGE", "h3", "h", "h2"],
    // Before PFCOUNT: PFCOUNT caches the count inside the value only on a synchronous engine
    // (documented: on etcd the cache stays invalid, same count, 8 bytes differ).
    ["GET", "h3"],
    ["PFCOUNT", "h3"],
  ],
  blocking: [
    ["RPUSH", "q", "x", "y"],
    ["BLPOP", "q", "0.01"],
    ["BRPOP", "q", "0.01"],
    ["BLPOP", "q", "0.01"],
    ["ZADD", "zq", "1", "m"],
    ["BZPOPMIN", "zq", "0.01"],
    ["LMPOP", "1", "q", "LEFT"],
  ],
};

describe("newer command families on the etcd engine", () => {
  let cluster: EtcdCluster;
  const repos: EtcdRepository[] = [];
  beforeAll(async () => {
    cluster = await startEtcdCluster();
  }, 60_000);
  afterAll(async () => {
    await Promise.all(repos.map((r) => r.close()));
    await cluster?.stop();
  }, 30_000);

  const make = (repository?: EtcdRepository): Store => {
    const scripting = createScripting({ timeLimitMs: 5000, maxStringBytes: 1 << 20 });
    const store = createStore({
      clock: createManualClock(1_780_000_000_000),
      random: seededRandom(7),
      repository,
      commands: [...ALL_COMMANDS, ...scripting.commands],
    });
    scripting.attach(store);
    return store;
  };
  const reply = async (store: Store, argv: string[]) => {
    try {
      return JSON.parse(JSON.stringify(await store.exec(argv), (_k, v) => (typeof v === "bigint" ? `${v}n` : v)));
    } catch (error) {
      if (error instanceof StoreError) return { error: error.message };
      throw error;
    }
  };

  it("Lua scripts: the same replies on etcd, re-run from the start when they reach past KEYS", async () => {
    const repo = new EtcdRepository({ endpoints: cluster.endpoints, prefix: "families/scripts/" });
    repos.push(repo);
    const map = make();
    const etcd = make(repo);
    const script = (body: string, ...rest: string[]) => ["EVAL", body, ...rest];
    const sequence: string[][] = [
      script("return redis.call('SET', KEYS[1], ARGV[1])", "1", "k", "v"),
      ["SET", "undeclared", "u"],
      // ARGV[1] names a key the command did not declare: the engine fetches it and runs the script again.
      script("redis.call('SET', KEYS[1], 'w'); return redis.call('GET', ARGV[1])", "1", "k", "undeclared"),
      // pcall cannot swallow the engine's signal: the re-run answers as the in-memory engine does.
      script("return {pcall(function () return redis.call('GET', ARGV[1]) end)}", "0", "undeclared"),
      script("local ok = redis.pcall('INCR', KEYS[1]); return ok", "1", "k"),
      script("redis.call('LPUSH', KEYS[1], 'a'); return redis.call('INCR', KEYS[1])", "1", "k"),
      // math.random is Redis's rand48, and a re-run draws the same numbers (ARGV[1] is undeclared).
      script("local r = math.random(1000000); redis.call('SET', ARGV[1], r); return {r, math.random(6)}", "0", "rnd"),
      ["GET", "rnd"],
      script("local n = redis.call('DBSIZE'); local k = redis.call('KEYS', '*'); table.sort(k); return {n, k}", "0"),
      ["EVAL_RO", "return redis.call('SET', KEYS[1], 'x')", "1", "ro"],
      ["EXISTS", "k", "undeclared", "rnd", "ro"],
      ["GET", "k"],
    ];
    for (const argv of sequence) {
      expect(await reply(etcd, argv), argv.join(" ")).toEqual(await reply(map, argv));
    }
    const load = ["SCRIPT", "LOAD", "return redis.call('INCRBY', KEYS[1], ARGV[1])"];
    const sha = await reply(map, load);
    expect(await reply(etcd, load)).toBe(sha);
    expect(await reply(etcd, ["EVALSHA", sha, "1", "n", "5"])).toBe(5);
    expect(await reply(etcd, ["EVALSHA", sha, "1", "n", "5"])).toBe(10);
  });

  it("Lua scripts are atomic across servers: concurrent read-modify-write scripts lose no increment", async () => {
    const a = make(new EtcdRepository({ endpoints: cluster.endpoints, prefix: "families/scripts-fleet/" }));
    const b = make(new EtcdRepository({ endpoints: cluster.endpoints, prefix: "families/scripts-fleet/" }));
    for (const s of [a, b]) repos.push(s.repository as EtcdRepository);
    // GET then SET is a lost update unless the whole script is one transaction; the second form
    // reaches its key through ARGV (undeclared), so each of its runs also goes through a re-run.
    const declared =
      "local v = tonumber(redis.call('GET', KEYS[1]) or '0'); redis.call('SET', KEYS[1], v + 1); return v + 1";
    const undeclared =
      "local v = tonumber(redis.call('GET', ARGV[1]) or '0'); redis.call('SET', ARGV[1], v + 1); return v + 1";
    const runs: Promise<unknown[]>[] = [];
    const settle = (p: Promise<unknown>) => p.catch((error: unknown) => error);
    for (const s of [a, b]) {
      // Declared: the store's key lock orders each server's own; the two servers race each other.
      runs.push(Promise.all(Array.from({ length: 20 }, () => settle(s.exec(["EVAL", declared, "1", "counter"])))));
      // Undeclared: no key lock, so these race everything; one at a time per server.
      runs.push(
        (async () => {
          const mine: unknown[] = [];
          for (let i = 0; i < 10; i++) mine.push(await settle(s.exec(["EVAL", undeclared, "0", "counter"])));
          return mine;
        })(),
      );
    }
    const outcomes = (await Promise.all(runs)).flat();
    const applied = outcomes.filter((v): v is number => typeof v === "number");
    // A script past the engine's bounded retries is refused whole (ABORTED), never half-applied.
    for (const e of outcomes.filter((v) => typeof v !== "number")) expect((e as StoreError).code).toBe("ABORTED");
    expect(applied.length).toBeGreaterThanOrEqual(30);
    expect(await reply(a, ["GET", "counter"])).toBe(String(applied.length));
    // Each increment was seen by exactly one script: the replies are 1..n, each once.
    expect([...applied].sort((x, y) => x - y)).toEqual(Array.from({ length: applied.length }, (_, i) => i + 1));
  }, 60_000);

  for (const [family, commands] of Object.entries(SEQUENCES)) {
    it(family, async () => {
      const repo = new EtcdRepository({ endpoints: cluster.endpoints, prefix: `families/${family}/` });
      repos.push(repo);
      const map = make();
      const etcd = make(repo);
      for (const argv of commands) {
        const expected = await reply(map, argv);
        const actual = await reply(etcd, argv);
        // XADD * makes an id from the clock: both stores share one manual clock value.
        expect(actual, argv.join(" ")).toEqual(expected);
      }
    });
  }
});
