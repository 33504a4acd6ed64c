/**
 * The engine differential (tests only; runtime-neutral): seeded random command streams run on a
 * reference store (the Map engine) and on a store over the engine under test, with one manual clock
 * for both. Every reply must be identical (errors by code and message; replies whose order Redis
 * leaves unspecified are compared sorted), and so must the final state (every key's type, TTL and
 * value) and the keyspace events (per key, the non-`expired` ones in order; the `expired` ones
 * counted per key: equal when both engines swept every due key and no FLUSHALL ran, else never
 * more than the Map engine's, since when a due key is reclaimed is the engine's business).
 *
 * The stream covers every command family, TTLs that expire as the clock moves, the whole-keyspace
 * commands (SCAN walked to the end, KEYS, DBSIZE, RANDOMKEY, FLUSHALL), HSCAN/SSCAN/ZSCAN walked to
 * the end (exactly once; a remote engine's element cursors are stateless), MULTI/EXEC with rollbacks
 * and keyspace reads, WATCH broken or not, and bursts of commands on distinct keys issued
 * concurrently (what Batch/Pipeline do with an asynchronous engine).
 *
 * Reusable for any engine: `runDifferential({ seed, steps, engine: () => new MyRepository() })`
 * resolves with the first divergence (or none), so a test asserts `result.mismatch` is undefined
 * and prints it otherwise.
 */
import type { Bytes } from "./bytes.js";
import { createManualClock, type ManualClock } from "./clock.js";
import { StoreError } from "./errors.js";
import type { KeyspaceEvent } from "./events.js";
import { MapRepository } from "./map-repository.js";
import type { Reply, Status } from "./reply.js";
import type { Repository } from "./repository.js";
import { createStore, type Store } from "./store.js";
import { seededRandom } from "./testing.js";

/** Options of {@link runDifferential}. */
export interface DifferentialOptions {
  /** Seed of the command stream (and of both stores' random sources). */
  readonly seed: number;
  /** Steps (a step is one command, a MULTI, a WATCH/EXEC, a SCAN walk or a burst). */
  readonly steps: number;
  /** Creates the engine under test (a fresh, empty keyspace). */
  readonly engine: () => Repository | Promise<Repository>;
  /** Creates the reference engine. @default a MapRepository with its own seeded random */
  readonly reference?: () => Repository;
  /**
   * Runs the engine's own expiry at the end (engines without `activeExpire`), so every due key is
   * reclaimed before the `expired` events are compared. The reference is swept by `store.sweep()`.
   */
  readonly sweep?: (store: Store, nowMs: number) => Promise<void> | void;
  /**
   * Also sweep both sides between steps now and then (with `sweep`), so the engine's expiry meets
   * keys rewritten since their deadline was set, not only at the end. @default false
   */
  readonly midSweeps?: boolean;
  /** Leave out MULTI with KEYS/SCAN/DBSIZE/RANDOMKEY (an engine without `atomicKeyspace`). @default false */
  readonly noKeyspaceInMulti?: boolean;
  /**
   * Leave out SPOP, SRANDMEMBER, HRANDFIELD, ZRANDMEMBER (their picks depend on a container's
   * internal order, which an engine that re-encodes values need not keep). @default false
   */
  readonly noRandomPicks?: boolean;
  /** Called before each step (debugging). */
  readonly onStep?: (step: number, what: string) => void;
  /** The clock's start. @default 1_780_000_000_000 */
  readonly startMs?: number;
}

/** The first divergence found. */
export interface Mismatch {
  readonly step: number;
  /** What ran (a command, or a description of the step). */
  readonly what: string;
  readonly expected: unknown;
  readonly actual: unknown;
}

/** What {@link runDifferential} found. */
export interface DifferentialResult {
  /** Steps run (all of them when there is no mismatch). */
  readonly steps: number;
  /** Commands run on each store. */
  readonly commands: number;
  /** The first divergence, or undefined. */
  readonly mismatch?: Mismatch;
  /** How many steps of each kind ran (coverage). */
  readonly kinds: Readonly<Record<string, number>>;
}

/** Replies whose element order Redis leaves unspecified: compared sorted. */
const UNORDERED = new Set([
  "SMEMBERS",
  "SINTER",
  "SUNION",
  "SDIFF",
  "HKEYS",
  "HVALS",
  "KEYS",
  "SPOP",
  "SRANDMEMBER",
  "HRANDFIELD",
]);
/** Commands whose reply is a random pick from a container. */
const RANDOM_PICKS = new Set(["SPOP", "SRANDMEMBER", "HRANDFIELD", "ZRANDMEMBER"]);
/** Field/value pairs in unspecified order. */
const UNORDERED_PAIRS = new Set(["HGETALL"]);

/** A reply made comparable: errors by code and message, bigints tagged, unordered replies sorted. */
function normalize(reply: unknown, name: string): unknown {
  if (reply instanceof StoreError) return { error: reply.code, message: reply.message };
  if (reply instanceof Error) return { thrown: reply.name, message: reply.message };
  const plain = JSON.parse(JSON.stringify(reply ?? null, (_k, v) => (typeof v === "bigint" ? `${v}n` : v)));
  if (!Array.isArray(plain)) return plain;
  if (UNORDERED.has(name)) return plain.map((x) => JSON.stringify(x)).sort();
  if (UNORDERED_PAIRS.has(name)) {
    const pairs: string[] = [];
    for (let i = 0; i + 1 < plain.length; i += 2) pairs.push(JSON.stringify([plain[i], plain[i + 1]]));
    return pairs.sort();
  }
  return plain;
}

/** A command's reply made comparable; RANDOMKEY's pick is random, that it is live is not. */
async function comparable(store: Store, argv: readonly string[], reply: unknown): Promise<unknown> {
  const name = (argv[0] as string).toUpperCase();
  if (name === "RANDOMKEY" && typeof reply === "string") return { live: await store.run(["EXISTS", reply]) };
  return normalize(reply, name);
}

/** The upper-case command name of `argv`. */
function nameOf(argv: readonly string[] | undefined): string {
  return (argv?.[0] ?? "").toUpperCase();
}

/** Runs a command; an error is the result, not a rejection. */
async function attempt(store: Store, argv: readonly Bytes[]): Promise<unknown> {
  try {
    return await store.run(argv);
  } catch (error) {
    return error;
  }
}

const STRINGS = ["s0", "s1", "s2", "n0", "n1"];
const LISTS = ["l0", "l1", "l2"];
const HASHES = ["h0", "h1"];
const SETS = ["t0", "t1", "t2"];
const ZSETS = ["z0", "z1", "z2"];
const ALL_KEYS = [...STRINGS, ...LISTS, ...HASHES, ...SETS, ...ZSETS];

/** The seeded command generator. */
function generator(random: () => number) {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const chance = (p: number): boolean => random() < p;
  /** A key of the family most of the time, any key (so types clash: WRONGTYPE) sometimes. */
  const k = (family: readonly string[]): string => (chance(0.9) ? pick(family) : pick(ALL_KEYS));
  const int = (lo: number, hi: number): string => String(lo + Math.floor(random() * (hi - lo + 1)));
  const word = (): string => pick(["a", "b", "c", "d", "e", "10", "-3", "2.5", "", "héllo", "x\u0000y"]);
  const member = (): string => pick(["a", "b", "c", "d", "e", "f"]);
  const ttl = (): string[] => pick([["EX", int(1, 3)], ["PX", int(1, 3000)], []]);
  const side = (): string => pick(["LEFT", "RIGHT"]);
  const gens: (() => string[])[] = [
    // strings
    () => ["SET", k(STRINGS), word(), ...ttl()],
    () => ["SET", k(STRINGS), word(), pick(["NX", "XX", "KEEPTTL", "GET"])],
    () => ["GET", k(STRINGS)],
    () => ["GETDEL", k(STRINGS)],
    () => ["GETEX", k(STRINGS), ...pick([["PERSIST"], ["PX", int(1, 2000)], []])],
    () => ["GETSET", k(STRINGS), word()],
    () => ["INCR", k(STRINGS)],
    () => ["INCRBY", k(STRINGS), int(-5, 5)],
    () => ["DECRBY", k(STRINGS), int(-5, 5)],
    () => ["INCRBYFLOAT", k(STRINGS), pick(["0.5", "-1.25", "3"])],
    () => ["APPEND", k(STRINGS), word()],
    () => ["STRLEN", k(STRINGS)],
    () => ["SETRANGE", k(STRINGS), int(0, 6), word()],
    () => ["GETRANGE", k(STRINGS), int(-3, 3), int(-3, 5)],
    () => ["MSET", k(STRINGS), word(), k(STRINGS), word()],
    () => ["MSETNX", k(STRINGS), word(), k(STRINGS), word()],
    () => ["MGET", k(STRINGS), k(STRINGS), k(ALL_KEYS)],
    () => ["SETNX", k(STRINGS), word()],
    () => ["PSETEX", k(STRINGS), int(1, 2000), word()],
    // generic
    () => ["DEL", k(ALL_KEYS), k(ALL_KEYS)],
    () => ["UNLINK", k(ALL_KEYS)],
    () => ["EXISTS", k(ALL_KEYS), k(ALL_KEYS)],
    () => ["TYPE", k(ALL_KEYS)],
    () => ["RENAME", k(ALL_KEYS), k(ALL_KEYS)],
    () => ["RENAMENX", k(ALL_KEYS), k(ALL_KEYS)],
    () => ["COPY", k(ALL_KEYS), k(ALL_KEYS), ...(chance(0.5) ? ["REPLACE"] : [])],
    () => ["EXPIRE", k(ALL_KEYS), int(-1, 3), ...(chance(0.3) ? [pick(["NX", "XX", "GT", "LT"])] : [])],
    () => ["PEXPIRE", k(ALL_KEYS), int(1, 3000)],
    () => ["PERSIST", k(ALL_KEYS)],
    () => ["TTL", k(ALL_KEYS)],
    () => ["PTTL", k(ALL_KEYS)],
    () => ["PEXPIRETIME", k(ALL_KEYS)],
    () => ["TOUCH", k(ALL_KEYS)],
    () => ["OBJECT", "ENCODING", k(ALL_KEYS)],
    // lists
    () => ["LPUSH", k(LISTS), word(), word()],
    () => ["RPUSH", k(LISTS), word()],
    () => ["LPUSHX", k(LISTS), word()],
    () => ["LPOP", k(LISTS), ...(chance(0.3) ? [int(0, 3)] : [])],
    () => ["RPOP", k(LISTS)],
    () => ["LRANGE", k(LISTS), int(-3, 1), int(-1, 4)],
    () => ["LLEN", k(LISTS)],
    () => ["LINDEX", k(LISTS), int(-3, 3)],
    () => ["LSET", k(LISTS), int(-2, 2), word()],
    () => ["LREM", k(LISTS), int(-2, 2), word()],
    () => ["LTRIM", k(LISTS), int(0, 2), int(-2, 3)],
    () => ["LINSERT", k(LISTS), pick(["BEFORE", "AFTER"]), word(), word()],
    () => ["LPOS", k(LISTS), word()],
    () => ["LMOVE", k(LISTS), k(LISTS), side(), side()],
    () => ["RPOPLPUSH", k(LISTS), k(LISTS)],
    // hashes
    () => ["HSET", k(HASHES), member(), word(), ...(chance(0.3) ? [member(), word()] : [])],
    () => ["HSETNX", k(HASHES), member(), word()],
    () => ["HGET", k(HASHES), member()],
    () => ["HMGET", k(HASHES), member(), member()],
    () => ["HDEL", k(HASHES), member()],
    () => ["HINCRBY", k(HASHES), member(), int(-3, 3)],
    () => ["HINCRBYFLOAT", k(HASHES), member(), "0.5"],
    () => ["HGETALL", k(HASHES)],
    () => ["HKEYS", k(HASHES)],
    () => ["HVALS", k(HASHES)],
    () => ["HLEN", k(HASHES)],
    () => ["HEXISTS", k(HASHES), member()],
    () => ["HSTRLEN", k(HASHES), member()],
    // sets
    () => ["SADD", k(SETS), member(), member()],
    () => ["SREM", k(SETS), member()],
    () => ["SMEMBERS", k(SETS)],
    () => ["SISMEMBER", k(SETS), member()],
    () => ["SMISMEMBER", k(SETS), member(), member()],
    () => ["SCARD", k(SETS)],
    () => ["SINTER", k(SETS), k(SETS)],
    () => ["SUNION", k(SETS), k(SETS)],
    () => ["SDIFF", k(SETS), k(SETS)],
    () => ["SINTERSTORE", k(SETS), k(SETS), k(SETS)],
    () => ["SUNIONSTORE", k(SETS), k(SETS), k(SETS)],
    () => ["SDIFFSTORE", k(SETS), k(SETS), k(SETS)],
    () => ["SINTERCARD", "2", k(SETS), k(SETS)],
    () => ["SMOVE", k(SETS), k(SETS), member()],
    () => ["SPOP", k(SETS), ...(chance(0.5) ? [int(1, 3)] : [])],
    () => ["SRANDMEMBER", k(SETS), ...(chance(0.5) ? [int(-3, 3)] : [])],
    // sorted sets
    () => ["ZADD", k(ZSETS), int(-5, 5), member(), ...(chance(0.3) ? [int(0, 9), member()] : [])],
    () => ["ZADD", k(ZSETS), pick(["NX", "XX", "GT", "LT", "CH"]), int(-5, 5), member()],
    () => ["ZINCRBY", k(ZSETS), int(-3, 3), member()],
    () => ["ZREM", k(ZSETS), member()],
    () => ["ZSCORE", k(ZSETS), member()],
    () => ["ZRANK", k(ZSETS), member()],
    () => ["ZCARD", k(ZSETS)],
    () => ["ZCOUNT", k(ZSETS), int(-5, 0), int(0, 5)],
    () => ["ZRANGE", k(ZSETS), "0", "-1", "WITHSCORES"],
    () => ["ZRANGEBYSCORE", k(ZSETS), "-inf", int(-2, 5)],
    () => ["ZREVRANGE", k(ZSETS), "0", int(0, 3)],
    () => ["ZPOPMIN", k(ZSETS)],
    () => ["ZPOPMAX", k(ZSETS), int(1, 2)],
    () => ["ZREMRANGEBYRANK", k(ZSETS), "0", int(0, 1)],
    () => ["ZUNIONSTORE", k(ZSETS), "2", k(ZSETS), k(ZSETS)],
    () => ["ZINTERSTORE", k(ZSETS), "2", k(ZSETS), k(ZSETS), "AGGREGATE", pick(["SUM", "MIN", "MAX"])],
    () => ["ZRANDMEMBER", k(ZSETS)],
    // whole keyspace (SCAN is a step of its own: walked to the end)
    () => ["DBSIZE"],
    () => ["KEYS", pick(["*", "s*", "?0", "[lh]*", "nomatch"])],
    () => ["RANDOMKEY"],
  ];
  return {
    pick,
    chance,
    int,
    command: (): string[] => pick(gens)(),
    /** A command on keys of one family only (bursts run such commands on disjoint keys). */
    commandOn: (key: string): string[] => {
      if (STRINGS.includes(key))
        return pick([
          ["SET", key, word()],
          ["INCR", key],
          ["APPEND", key, word()],
          ["GET", key],
        ]);
      if (LISTS.includes(key))
        return pick([
          ["RPUSH", key, word()],
          ["LPOP", key],
          ["LRANGE", key, "0", "-1"],
        ]);
      if (HASHES.includes(key))
        return pick([
          ["HSET", key, member(), word()],
          ["HDEL", key, member()],
          ["HLEN", key],
        ]);
      if (SETS.includes(key))
        return pick([
          ["SADD", key, member()],
          ["SREM", key, member()],
          ["SCARD", key],
        ]);
      return pick([
        ["ZADD", key, int(-5, 5), member()],
        ["ZREM", key, member()],
        ["ZCARD", key],
      ]);
    },
  };
}

/** The state of every live key: type, TTL and value, in key order. */
async function digest(store: Store): Promise<unknown> {
  const keys = ((await store.run(["KEYS", "*"])) as Bytes[]).slice().sort();
  const out: unknown[] = [];
  for (const key of keys) {
    const type = ((await store.run(["TYPE", key])) as Status).text;
    const ttl = await store.run(["PTTL", key]);
    let value: Reply;
    switch (type) {
      case "string":
        value = await store.run(["GET", key]);
        break;
      case "list":
        value = await store.run(["LRANGE", key, "0", "-1"]);
        break;
      case "hash":
        value = normalize(await store.run(["HGETALL", key]), "HGETALL") as Reply;
        break;
      case "set":
        value = normalize(await store.run(["SMEMBERS", key]), "SMEMBERS") as Reply;
        break;
      default:
        value = await store.run(["ZRANGE", key, "0", "-1", "WITHSCORES"]);
    }
    out.push([key, type, ttl, normalize(value, "")]);
  }
  return out;
}

/** A full SCAN walk (cursor to 0) with random COUNT/MATCH/TYPE: the sorted set of keys, or the error. */
async function scanAll(store: Store, count: string, match: string[], type: string[]): Promise<unknown> {
  const seen: Bytes[] = [];
  let cursor = "0";
  for (let pages = 0; pages < 1000; pages++) {
    const reply = await attempt(store, ["SCAN", cursor, "COUNT", count, ...match, ...type]);
    if (reply instanceof Error) return normalize(reply, "SCAN");
    const [next, keys] = reply as [string, Bytes[]];
    seen.push(...keys);
    cursor = next;
    if (cursor === "0") break;
  }
  const sorted = [...seen].sort();
  // Exactly once: a key present for the whole walk is never returned twice.
  return { keys: sorted, duplicates: sorted.length !== new Set(sorted).size };
}

/** A full HSCAN/SSCAN/ZSCAN walk: its items (pairs for HSCAN/ZSCAN) sorted, and whether any repeated. */
async function scanElementsAll(
  store: Store,
  cmd: string,
  key: string,
  count: string,
  match: string[],
): Promise<unknown> {
  const items: string[] = [];
  let cursor = "0";
  for (let pages = 0; pages < 1000; pages++) {
    const reply = await attempt(store, [cmd, key, cursor, "COUNT", count, ...match]);
    if (reply instanceof Error) return normalize(reply, cmd);
    const [next, flat] = reply as [string, Reply[]];
    const step = cmd === "SSCAN" ? 1 : 2;
    for (let i = 0; i < flat.length; i += step) items.push(JSON.stringify(flat.slice(i, i + step)));
    cursor = next;
    if (cursor === "0") break;
  }
  const sorted = [...items].sort();
  return { items: sorted, duplicates: sorted.length !== new Set(sorted).size };
}

/**
 * Event streams made comparable: per key, its non-`expired` events in order (keys' relative order
 * is free: a concurrent engine commits distinct keys in any order), and its `expired` count.
 */
function eventSummary(events: readonly KeyspaceEvent[], withExpired: boolean): unknown {
  const perKey = new Map<Bytes, string[]>();
  const expired = new Map<Bytes, number>();
  for (const e of events) {
    if (e.event === "expired") expired.set(e.key, (expired.get(e.key) ?? 0) + 1);
    else {
      let list = perKey.get(e.key);
      if (list === undefined) perKey.set(e.key, (list = []));
      list.push(`${e.event} ${e.class}`);
    }
  }
  const byKey = (a: [Bytes, unknown], b: [Bytes, unknown]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  return { events: [...perKey].sort(byKey), expired: withExpired ? [...expired].sort(byKey) : "compared as at most" };
}

/**
 * When due keys may leave without an event (FLUSHALL) or are never swept, the counts cannot be
 * equal; an engine must still never emit more `expired` events for a key than the Map engine
 * (one per expiry).
 */
function fewerExpired(expected: readonly KeyspaceEvent[], actual: readonly KeyspaceEvent[]): boolean {
  const count = (events: readonly KeyspaceEvent[]) => {
    const out = new Map<Bytes, number>();
    for (const e of events) if (e.event === "expired") out.set(e.key, (out.get(e.key) ?? 0) + 1);
    return out;
  };
  const want = count(expected);
  for (const [key, n] of count(actual)) if (n > (want.get(key) ?? 0)) return false;
  return true;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Runs the differential (see the module comment). Resolves with the first mismatch, if any; it
 * never throws for a divergence (only for a bug in the harness itself).
 */
export async function runDifferential(options: DifferentialOptions): Promise<DifferentialResult> {
  const clock: ManualClock = createManualClock(options.startMs ?? 1_780_000_000_000);
  const reference = options.reference?.() ?? new MapRepository({ random: seededRandom(options.seed ^ 0x5eed) });
  const stores = {
    expected: createStore({ clock, random: seededRandom(options.seed), repository: reference }),
    actual: createStore({ clock, random: seededRandom(options.seed), repository: await options.engine() }),
  };
  const events = { expected: [] as KeyspaceEvent[], actual: [] as KeyspaceEvent[] };
  stores.expected.events.subscribe({}, (e) => events.expected.push(e));
  stores.actual.events.subscribe({}, (e) => events.actual.push(e));
  const gen = generator(seededRandom(options.seed * 7919 + 1));
  const kinds: Record<string, number> = {};
  let commands = 0;
  /** A FLUSHALL drops due keys without an `expired` event: when they were reclaimed before it is the engine's business. */
  let flushed = false;

  /** Runs `fn` on both stores and compares; returns the mismatch, if any. */
  const both = async (
    step: number,
    what: string,
    fn: (store: Store) => Promise<unknown>,
  ): Promise<Mismatch | undefined> => {
    const expected = await fn(stores.expected);
    const actual = await fn(stores.actual);
    return same(expected, actual) ? undefined : { step, what, expected, actual };
  };

  const runStep = async (step: number): Promise<Mismatch | undefined> => {
    // The clock moves now and then, so TTLs expire between and inside steps' reads.
    if (gen.chance(0.15)) clock.advance(Number(gen.int(1, 1500)));
    // Drawn only with midSweeps, so every other caller's seeded streams stay as they were.
    if (options.midSweeps === true && options.sweep !== undefined && gen.chance(0.05)) {
      await stores.expected.sweep();
      await options.sweep(stores.actual, clock.now());
    }
    const roll = Number(gen.int(0, 99));
    let kind: string;
    let result: Mismatch | undefined;
    if (roll < 70) {
      kind = "command";
      let argv = gen.command();
      while (options.noRandomPicks && RANDOM_PICKS.has(argv[0] as string)) argv = gen.command();
      commands++;
      options.onStep?.(step, argv.join(" "));
      result = await both(step, argv.join(" "), async (store) => comparable(store, argv, await attempt(store, argv)));
    } else if (roll < 73) {
      kind = "element-scan";
      const [cmd, family] = gen.pick([
        ["HSCAN", HASHES],
        ["SSCAN", SETS],
        ["ZSCAN", ZSETS],
      ] as const);
      const key = gen.pick(family);
      const count = gen.int(1, 4);
      const match = gen.chance(0.2) ? ["MATCH", gen.pick(["a*", "[b-d]", "*"])] : [];
      commands++;
      result = await both(step, `${cmd} walk ${key} COUNT ${count} ${match.join(" ")}`, (store) =>
        scanElementsAll(store, cmd, key, count, match),
      );
    } else if (roll < 76) {
      kind = "scan";
      const count = gen.int(1, 12);
      const match = gen.chance(0.3) ? ["MATCH", gen.pick(["s*", "*0", "[hz]?"])] : [];
      const type = gen.chance(0.2) ? ["TYPE", gen.pick(["string", "list", "hash", "set", "zset", "stream"])] : [];
      commands++;
      result = await both(step, `SCAN walk COUNT ${count} ${match.join(" ")} ${type.join(" ")}`, (store) =>
        scanAll(store, count, match, type),
      );
    } else if (roll < 86) {
      kind = "multi";
      const n = Number(gen.int(1, 4));
      const batch: string[][] = [];
      for (let i = 0; i < n; i++) {
        let argv = gen.command();
        while (options.noRandomPicks && RANDOM_PICKS.has(argv[0] as string)) argv = gen.command();
        if (options.noKeyspaceInMulti && ["DBSIZE", "KEYS", "RANDOMKEY"].includes(argv[0] as string)) argv = ["PING"];
        if (argv[0] === "RANDOMKEY") argv = ["DBSIZE"]; // random inside a reply array: not comparable
        batch.push(argv);
      }
      if (!options.noKeyspaceInMulti && gen.chance(0.15)) batch.push(["SCAN", "0", "COUNT", "1000"]);
      commands += batch.length;
      const what = `MULTI ${batch.map((c) => c.join(" ")).join("; ")}`;
      options.onStep?.(step, what);
      result = await both(step, what, async (store) => {
        try {
          const replies = await store.transaction(batch);
          return replies?.map((r, i) => {
            const name = nameOf(batch[i]);
            if (name === "SCAN") return normalize((r as [string, Reply[]])[1], "KEYS");
            return normalize(r, name);
          });
        } catch (error) {
          return normalize(error, "");
        }
      });
    } else if (roll < 93) {
      kind = "watch";
      const watched = [gen.pick(ALL_KEYS), gen.pick(ALL_KEYS)];
      const meddle = gen.chance(0.5) ? gen.command() : undefined;
      const batch = [gen.command(), gen.command()].map((c) =>
        c[0] === "RANDOMKEY" || c[0] === "KEYS" || (options.noRandomPicks && RANDOM_PICKS.has(c[0] as string))
          ? ["PING"]
          : c,
      );
      if (options.noKeyspaceInMulti)
        for (let i = 0; i < batch.length; i++) if (batch[i]?.[0] === "DBSIZE") batch[i] = ["PING"];
      commands += batch.length + (meddle ? 1 : 0);
      const what = `WATCH ${watched.join(" ")}; ${meddle?.join(" ") ?? "(no change)"}; EXEC ${batch.map((c) => c.join(" ")).join("; ")}`;
      options.onStep?.(step, what);
      result = await both(step, what, async (store) => {
        const handle = await store.watch(watched);
        try {
          const between = meddle === undefined ? null : await comparable(store, meddle, await attempt(store, meddle));
          let outcome: unknown;
          try {
            const replies = await store.transaction(batch, handle);
            outcome = replies === null ? null : replies.map((r, i) => normalize(r, nameOf(batch[i])));
          } catch (error) {
            outcome = normalize(error, "");
          }
          return { between, outcome };
        } finally {
          handle.release();
        }
      });
    } else if (roll < 99) {
      kind = "burst";
      // Distinct keys issued together: per-key order is all a concurrent engine must keep.
      const keys = [...ALL_KEYS].sort(() => (gen.chance(0.5) ? 1 : -1)).slice(0, Number(gen.int(2, 6)));
      const argvs = keys.flatMap((key) =>
        gen.chance(0.5) ? [gen.commandOn(key), gen.commandOn(key)] : [gen.commandOn(key)],
      );
      commands += argvs.length;
      const what = `burst ${argvs.map((c) => c.join(" ")).join("; ")}`;
      options.onStep?.(step, what);
      result = await both(step, what, async (store) => {
        const replies = await Promise.all(argvs.map((argv) => attempt(store, argv)));
        return replies.map((r, i) => normalize(r, nameOf(argvs[i])));
      });
    } else {
      kind = "flushall";
      flushed = true;
      commands++;
      options.onStep?.(step, "FLUSHALL");
      result = await both(step, "FLUSHALL", async (store) => normalize(await attempt(store, ["FLUSHALL"]), "FLUSHALL"));
    }
    kinds[kind] = (kinds[kind] ?? 0) + 1;
    return result;
  };

  for (let step = 0; step < options.steps; step++) {
    const mismatch = await runStep(step);
    if (mismatch !== undefined) return { steps: step + 1, commands, mismatch, kinds };
  }
  const end = options.steps;
  const state = await both(end, "final state (every key: type, PTTL, value)", digest);
  if (state !== undefined) return { steps: end, commands, mismatch: state, kinds };
  // Every due key reclaimed on both sides, then the events compared.
  clock.advance(10_000);
  await stores.expected.sweep();
  await options.sweep?.(stores.actual, clock.now());
  const engine = stores.actual.repository;
  const expiredExact = !flushed && (engine.activeExpire !== undefined || options.sweep !== undefined);
  const summary = {
    expected: eventSummary(events.expected, expiredExact),
    actual: eventSummary(events.actual, expiredExact),
  };
  const fewer = expiredExact || fewerExpired(events.expected, events.actual);
  if (!same(summary.expected, summary.actual) || !fewer) {
    const what = fewer ? "keyspace events" : "keyspace events: more `expired` events for a key than the Map engine";
    return { steps: end, commands, mismatch: { step: end, what, ...summary }, kinds };
  }
  return { steps: end, commands, kinds };
}
