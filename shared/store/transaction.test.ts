import { describe, expect, it } from "vitest";
import type { Bytes } from "./bytes.js";
import type { CommandSpec } from "./command.js";
import { ALL_COMMANDS } from "./commands.js";
import type { StoreError } from "./errors.js";
import { MapRepository } from "./map-repository.js";
import { OK, type Reply } from "./reply.js";
import type { KeyView, WatchHandle } from "./repository.js";
import { AwaitedRepository } from "./staged-repository.test-helpers.js";
import type { Arg } from "./store.js";
import { createTestStore, err, type TestStore } from "./testing.js";
import { TransactionError } from "./transaction.js";
import type { Value } from "./value.js";

/** A command the table would refuse inside MULTI (Redis flags WATCH, MULTI, SUBSCRIBE… so). */
const NO_MULTI: CommandSpec = {
  name: "XNOMULTI",
  arity: 1,
  flags: ["no-multi"],
  firstKey: 0,
  lastKey: 0,
  step: 0,
  group: "server",
  complexity: "O(1)",
  summary: "test command",
  syntax: "XNOMULTI",
  handler: () => OK,
};

/** A command with a bug: it changes its key, then throws something that is not a StoreError. */
const BUGGY: CommandSpec = {
  ...NO_MULTI,
  name: "XBUGGY",
  arity: 2,
  flags: ["write"],
  firstKey: 1,
  lastKey: 1,
  step: 1,
  syntax: "XBUGGY key",
  handler: (ctx, argv) => {
    ctx.db.put(argv[1] as Bytes, "half-done");
    throw new TypeError("bug");
  },
};

function testStore(options: Parameters<typeof createTestStore>[0] = {}): TestStore {
  return createTestStore({ commands: [...ALL_COMMANDS, NO_MULTI, BUGGY], ...options });
}

/** What a transaction settled with: its replies, null, or the error. */
async function outcome(t: TestStore, commands: Arg[][], watch?: WatchHandle): Promise<Reply[] | null | unknown> {
  try {
    return await t.store.transaction(commands, watch);
  } catch (error) {
    return error;
  }
}

/** A readable dump of keys: value (via the read commands) and TTL in ms. */
function dump(t: TestStore, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const type = t.ok("TYPE", key);
    const text = typeof type === "string" ? type : (type as { text: string }).text;
    const read: Record<string, Arg[]> = {
      none: [],
      string: ["GET", key],
      list: ["LRANGE", key, "0", "-1"],
      hash: ["HGETALL", key],
      set: ["SMEMBERS", key],
      zset: ["ZRANGE", key, "0", "-1", "WITHSCORES"],
    };
    const argv = read[text] as Arg[];
    let value = argv.length === 0 ? null : t.ok(...argv);
    if (text === "set" && Array.isArray(value)) value = [...value].sort();
    out[key] = { type: text, value, pttl: t.ok("PTTL", key) };
  }
  return out;
}

describe("transaction: replies and all-or-nothing resolution", () => {
  it("runs the commands in order and returns one reply each", async () => {
    const t = testStore();
    const replies = await t.store.transaction([
      ["SET", "a", "1"],
      ["INCR", "a"],
      ["GET", "a"],
      ["RPUSH", "l", "x", "y"],
      ["LRANGE", "l", "0", "-1"],
      ["DBSIZE"],
    ]);
    expect(replies).toEqual([OK, 2, "2", 2, ["x", "y"], 2]);
  });

  it("an empty transaction returns an empty array", async () => {
    const t = testStore();
    expect(await t.store.transaction([])).toEqual([]);
  });

  it.each<[string, Arg[], string, string]>([
    [
      "an unknown command",
      ["NOPE", "x"],
      "UNKNOWN_COMMAND",
      "ERR unknown command 'NOPE', with args beginning with: 'x' ",
    ],
    ["a fixed arity", ["GET"], "WRONG_ARITY", "ERR wrong number of arguments for 'get' command"],
    ["a variadic arity", ["RPUSH", "l"], "WRONG_ARITY", "ERR wrong number of arguments for 'rpush' command"],
    ["a limit", ["SET", "k", "0123456789abcdef"], "LIMIT", "ERR argument exceeds the maximum size (8 bytes)"],
    ["a no-multi command", ["XNOMULTI"], "ERR", "ERR Command not allowed inside a transaction"],
    [
      "a keyspace-wide write",
      ["FLUSHALL"],
      "ERR",
      "ERR 'flushall' is not allowed inside a transaction: it changes the whole keyspace, which cannot be rolled back",
    ],
  ])("%s refuses the whole batch with EXECABORT before anything runs", async (_, bad, causeCode, causeMessage) => {
    const t = testStore({ limits: { maxValueBytes: 8 } });
    t.ok("SET", "kept", "v");
    t.events.length = 0;
    const error = await outcome(t, [["SET", "a", "1"], ["DEL", "kept"], bad, ["SET", "b", "2"]]);
    expect(error).toBeInstanceOf(TransactionError);
    const e = error as TransactionError;
    expect(e.code).toBe("EXEC_ABORT");
    expect(e.message).toBe("EXECABORT Transaction discarded because of previous errors.");
    expect(e.index).toBe(2);
    expect(e.command).toBe(bad[0]);
    expect((e.cause as StoreError).code).toBe(causeCode);
    expect((e.cause as StoreError).message).toBe(causeMessage);
    expect(t.ok("EXISTS", "a", "b")).toBe(0);
    expect(t.ok("GET", "kept")).toBe("v");
    expect(t.events).toEqual([]);
    expect(t.store.stats().errors).toBe(1);
  });

  it("allows read-only keyspace commands", async () => {
    const t = testStore();
    const replies = await t.store.transaction([
      ["SET", "a", "1"],
      ["KEYS", "*"],
      ["DBSIZE"],
      ["SET", "b", "2"],
      ["DBSIZE"],
    ]);
    expect(replies).toEqual([OK, ["a"], 1, OK, 2]);
  });
});

describe("transaction: WATCH", () => {
  it.each<[string, (t: TestStore) => void]>([
    ["set", (t) => t.ok("SET", "w", "other")],
    ["deleted", (t) => t.ok("DEL", "w")],
    ["given a TTL", (t) => t.ok("EXPIRE", "w", "100")],
    ["flushed", (t) => t.ok("FLUSHALL")],
  ])("returns null and runs nothing when the watched key was %s", async (_, change) => {
    const t = testStore();
    t.ok("SET", "w", "v");
    const watch = await t.store.watch(["w"]);
    change(t);
    t.events.length = 0;
    expect(await t.store.transaction([["SET", "out", "1"]], watch)).toBeNull();
    expect(t.ok("EXISTS", "out")).toBe(0);
    expect(t.events).toEqual([]);
    watch.release();
  });

  it("returns null when the watched key expires after WATCH (as Redis 7 does)", async () => {
    const t = testStore();
    t.ok("SET", "w", "v", "PX", "100");
    const watch = await t.store.watch(["w"]);
    t.clock.advance(101);
    expect(await t.store.transaction([["SET", "out", "1"]], watch)).toBeNull();
    expect(t.ok("EXISTS", "out")).toBe(0);
  });

  it("returns null when a container is changed in place", async () => {
    const t = testStore();
    t.ok("RPUSH", "w", "a");
    const watch = await t.store.watch(["w"]);
    t.ok("RPUSH", "w", "b");
    expect(await t.store.transaction([["RPUSH", "w", "c"]], watch)).toBeNull();
    expect(t.ok("LRANGE", "w", "0", "-1")).toEqual(["a", "b"]);
  });

  it("runs when the watched keys are untouched (other keys may change)", async () => {
    const t = testStore();
    t.ok("SET", "w", "v");
    const watch = await t.store.watch(["w", "missing"]);
    t.ok("SET", "unrelated", "x");
    expect(await t.store.transaction([["SET", "w", "new"]], watch)).toEqual([OK]);
    expect(t.ok("GET", "w")).toBe("new");
  });
});

describe("transaction: rollback on a runtime error", () => {
  /** Keys in every shape: string with TTL, list, hash with TTL, set, plain string, absent. */
  function seeded(): TestStore {
    const t = testStore();
    t.ok("SET", "s", "old", "PX", "5000");
    t.ok("RPUSH", "l", "1", "2", "3");
    t.ok("HSET", "h", "f", "v");
    t.ok("PEXPIRE", "h", "9000");
    t.ok("SADD", "set", "m1", "m2");
    t.ok("SET", "n", "10");
    t.clock.advance(1000);
    t.events.length = 0;
    return t;
  }
  const KEYS = ["s", "l", "h", "set", "n", "fresh", "dst"];

  it.each<[string, Arg[][], number, string]>([
    [
      "WRONGTYPE after changes to strings, containers and TTLs",
      [
        ["SET", "s", "new"],
        ["RPUSH", "l", "4"],
        ["LPOP", "l"],
        ["HSET", "h", "g", "w"],
        ["PERSIST", "h"],
        ["SADD", "set", "m3"],
        ["SREM", "set", "m1"],
        ["EXPIRE", "n", "50"],
        ["SET", "fresh", "x"],
        ["INCR", "l"],
      ],
      9,
      "WRONGTYPE",
    ],
    [
      "NOT_INTEGER after deletes and a container emptied",
      [
        ["DEL", "s"],
        ["LPOP", "l", "3"],
        ["HDEL", "h", "f"],
        ["INCR", "s"],
        ["SET", "n", "abc"],
        ["INCR", "n"],
      ],
      5,
      "NOT_INTEGER",
    ],
    [
      "an error after a RENAME (two keys)",
      [
        ["RENAME", "l", "dst"],
        ["RENAME", "h", "s"],
        ["LPUSH", "h", "x"],
        ["HSET", "dst", "f", "v"],
      ],
      3,
      "WRONGTYPE",
    ],
    [
      "an error in the first command",
      [
        ["INCR", "l"],
        ["SET", "s", "x"],
      ],
      0,
      "WRONGTYPE",
    ],
  ])("restores every key exactly: %s", async (_, commands, index, code) => {
    const t = seeded();
    const before = dump(t, KEYS);
    const stats = t.store.stats();
    const error = await outcome(t, commands);
    expect(error).toBeInstanceOf(TransactionError);
    const e = error as TransactionError;
    expect(e.code).toBe(code);
    expect(e.index).toBe(index);
    expect(e.command).toBe(commands[index]?.[0]);
    expect((e.cause as StoreError).code).toBe(code);
    expect(e.message.startsWith((e.cause as StoreError).message)).toBe(true);
    expect(e.message).toContain(`command index ${index}`);
    expect(dump(t, KEYS)).toEqual(before);
    expect(t.events).toEqual([]); // a rollback publishes nothing
    expect(t.store.stats().errors).toBe(stats.errors + 1);
  });

  it("the restored values are live copies: later commands work on them normally", async () => {
    const t = seeded();
    await outcome(t, [
      ["RPUSH", "l", "4"],
      ["INCR", "l"],
    ]);
    expect(t.ok("RPUSH", "l", "5")).toBe(4);
    expect(t.ok("LRANGE", "l", "0", "-1")).toEqual(["1", "2", "3", "5"]);
    t.clock.advance(4001);
    expect(t.ok("EXISTS", "s")).toBe(0); // the restored TTL still fires at the original deadline
  });

  it("rolls back and rethrows an error that is not a StoreError", async () => {
    const t = seeded();
    const error = await outcome(t, [
      ["SET", "n", "changed"],
      ["XBUGGY", "s"],
    ]);
    expect(error).toBeInstanceOf(TypeError);
    expect(t.ok("GET", "n")).toBe("10");
    expect(t.ok("GET", "s")).toBe("old");
    expect(t.ok("PTTL", "s")).toBe(4000);
  });
});

describe("transaction: events", () => {
  it("publishes events only after every command has run", async () => {
    const t = testStore();
    const seenDuring: Reply[] = [];
    t.store.events.subscribe({ pattern: "a" }, () => {
      // When the event for "a" arrives, the whole transaction has been applied.
      seenDuring.push(t.ok("GET", "b"));
    });
    await t.store.transaction([
      ["SET", "a", "1"],
      ["SET", "b", "2"],
    ]);
    expect(seenDuring).toEqual(["2"]);
    expect(t.events.map((e) => [e.event, e.key])).toEqual([
      ["set", "a"],
      ["set", "b"],
    ]);
    expect(t.events.every((e) => e.atMs === t.clock.now())).toBe(true);
  });
});

describe('transaction: mode "continue" (Redis\'s MULTI/EXEC)', () => {
  const continueMode = { mode: "continue" } as const;

  it("leaves a runtime error in its place and applies every other command, as Redis does", async () => {
    const t = testStore();
    t.ok("RPUSH", "l", "x");
    const replies = await t.store.transaction(
      [
        ["SET", "a", "1"],
        ["INCR", "l"], // WRONGTYPE at run time
        ["INCR", "a"],
        ["SET", "s", "abc"],
        ["INCR", "s"], // not an integer
        ["LPUSH", "l", "y"],
      ],
      undefined,
      continueMode,
    );
    expect(replies).toEqual([
      OK,
      err("WRONGTYPE"),
      2,
      OK,
      err("NOT_INTEGER", "ERR value is not an integer or out of range"),
      2,
    ]);
    expect(dump(t, ["a", "s", "l"])).toEqual({
      a: { type: "string", value: "2", pttl: -1 },
      s: { type: "string", value: "abc", pttl: -1 },
      l: { type: "list", value: ["y", "x"], pttl: -1 },
    });
    // The applied commands' events are published (after commit); the failed ones emit nothing.
    expect(t.events.map((e) => [e.event, e.key])).toEqual([
      ["rpush", "l"],
      ["set", "a"],
      ["incrby", "a"],
      ["set", "s"],
      ["lpush", "l"],
    ]);
  });

  it("still refuses the whole batch with EXECABORT for an error found before running", async () => {
    const t = testStore();
    const error = await t.store
      .transaction(
        [
          ["SET", "a", "1"],
          ["NOSUCH", "x"],
        ],
        undefined,
        continueMode,
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionError);
    expect((error as TransactionError).code).toBe("EXEC_ABORT");
    expect(t.ok("EXISTS", "a")).toBe(0);
  });

  it("allows keyspace-wide writes (nothing to roll back) where the engine runs the keyspace atomically", async () => {
    const t = testStore();
    t.ok("SET", "old", "1");
    const replies = await t.store.transaction(
      [["SET", "a", "1"], ["FLUSHALL"], ["SET", "b", "2"], ["DBSIZE"]],
      undefined,
      continueMode,
    );
    expect(replies).toEqual([OK, OK, OK, 1]);
    expect(t.ok("KEYS", "*")).toEqual(["b"]);
  });

  it("a WATCHed key changed: nothing runs, null", async () => {
    const t = testStore();
    const handle = await t.store.watch(["w"]);
    t.ok("SET", "w", "other");
    expect(await t.store.transaction([["SET", "x", "1"]], handle, continueMode)).toBeNull();
    expect(t.ok("EXISTS", "x")).toBe(0);
  });

  it("a read whose reply is too large gets the limit error in its place; the writes stand", async () => {
    const t = testStore({ limits: { maxReplyElements: 10 } });
    const replies = await t.store.transaction(
      [
        ["RPUSH", "l", "1", "2", "3", "4", "5", "6"],
        ["LRANGE", "l", "0", "-1"],
        ["LRANGE", "l", "0", "-1"], // the two replies together exceed 10 elements
        ["SET", "after", "1"],
      ],
      undefined,
      continueMode,
    );
    expect(replies?.[0]).toBe(6);
    expect(replies?.[1]).toMatchObject({ code: "LIMIT" });
    expect(replies?.[2]).toMatchObject({ code: "LIMIT" });
    expect(replies?.[3]).toBe(OK);
    expect(t.ok("LLEN", "l")).toBe(6);
    expect(t.ok("GET", "after")).toBe("1");
  });

  it("continues on an asynchronous engine too, under the key lock", async () => {
    const t = testStore({ repository: new StagedRepository() });
    await t.store.run(["SET", "s", "abc"]);
    const replies = await t.store.transaction(
      [
        ["INCR", "s"],
        ["APPEND", "s", "d"],
      ],
      undefined,
      continueMode,
    );
    expect(replies).toEqual([err("NOT_INTEGER", "ERR value is not an integer or out of range"), 4]);
    expect(await t.store.run(["GET", "s"])).toBe("abcd");
  });
});

/**
 * A model of a remote engine without compare-and-swap: `atomic` reads the keys (one round trip),
 * runs the command on a local copy, and writes the keys back (another round trip). Two
 * overlapping calls on one key lose an update unless something serializes them: the store's
 * key lock does.
 */
class StagedRepository extends AwaitedRepository {
  /** Calls of `atomic` in progress, and the most seen at once. */
  inFlight = 0;
  maxInFlight = 0;

  override async atomic<T>(keys: readonly Bytes[] | null, nowMs: number, fn: (view: KeyView) => T): Promise<T> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await roundTrip();
      if (keys === null) return this.inner.atomic(null, nowMs, fn);
      const stage = new MapRepository();
      const copies = this.inner.atomic(null, nowMs, (v) => keys.map((k) => copyOut(v, k)));
      stage.atomic(null, nowMs, (v) => copyAllIn(v, keys, copies));
      const result = stage.atomic(null, nowMs, fn); // throws: nothing is written back
      await roundTrip();
      const changed = stage.atomic(null, nowMs, (v) => keys.map((k) => copyOut(v, k)));
      this.inner.atomic(null, nowMs, (v) => copyAllIn(v, keys, changed));
      return result;
    } finally {
      this.inFlight--;
    }
  }
}

type Copy = { value: Value; atMs: number | undefined } | undefined;

function copyOut(view: KeyView, key: Bytes): Copy {
  const value = view.lookup(key);
  if (value === undefined) return undefined;
  return { value: typeof value === "string" ? value : value.clone(), atMs: view.expireAt(key) };
}

function copyIn(view: KeyView, key: Bytes, copy: Copy): void {
  if (copy === undefined) {
    view.remove(key);
    return;
  }
  view.put(key, copy.value);
  if (copy.atMs !== undefined) view.setExpireAt(key, copy.atMs);
}

function copyAllIn(view: KeyView, keys: readonly Bytes[], copies: readonly Copy[]): void {
  keys.forEach((key, i) => {
    copyIn(view, key, copies[i]);
  });
}

async function roundTrip(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => queueMicrotask(resolve));
}

describe("transaction: atomicity on an asynchronous repository", () => {
  it("the staged engine alone loses updates (so the lock is what keeps the counts exact)", async () => {
    const repo = new StagedRepository();
    const incr = (v: KeyView): void => {
      v.put("x", String(Number(v.lookup("x") ?? "0") + 1));
    };
    await Promise.all([repo.atomic(["x"], 0, incr), repo.atomic(["x"], 0, incr)]);
    expect(repo.inner.atomic(null, 0, (v) => v.lookup("x"))).toBe("1");
  });

  it("keeps a counter exact under concurrent commands and transactions", async () => {
    const repo = new StagedRepository();
    const t = createTestStore({ repository: repo });
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      work.push(t.store.exec(["INCR", "x"]));
      work.push(t.store.exec(["SET", `side:${i}`, "1"])); // other keys: free to run alongside
      work.push(
        t.store.transaction([
          ["INCR", "x"],
          ["INCRBY", "x", "10"],
          ["RPUSH", "log", String(i)],
        ]),
      );
    }
    await Promise.all(work);
    expect(repo.maxInFlight).toBeGreaterThan(1); // they really were in flight together
    expect(await t.store.exec(["GET", "x"])).toBe(String(20 * 12));
    expect(await t.store.exec(["LLEN", "log"])).toBe(20);
    expect(t.store.locks.idle).toBe(true);
  });

  it("a command on the transaction's keys waits for it; one on other keys does not", async () => {
    const repo = new StagedRepository();
    const t = createTestStore({ repository: repo });
    await t.store.exec(["SET", "k", "1"]);
    const order: string[] = [];
    const tx = t.store
      .transaction([
        ["INCR", "k"],
        ["INCR", "k"],
      ])
      .then(() => order.push("tx"));
    const same = t.store.exec(["GET", "k"]).then((v) => order.push(`get k=${String(v)}`));
    const other = t.store.exec(["SET", "other", "1"]).then(() => order.push("set other"));
    await Promise.all([tx, same, other]);
    expect(order.filter((o) => o !== "set other")).toEqual(["tx", "get k=3"]);
    expect(repo.maxInFlight).toBe(2); // the SET on another key ran beside the transaction
  });

  it("rolls back on an asynchronous repository too", async () => {
    const repo = new StagedRepository();
    const t = createTestStore({ repository: repo });
    await t.store.exec(["RPUSH", "l", "a"]);
    const error = await t.store
      .transaction([
        ["RPUSH", "l", "b"],
        ["INCR", "l"],
      ])
      .catch((e: unknown) => e);
    expect((error as TransactionError).code).toBe("WRONGTYPE");
    expect(await t.store.exec(["LRANGE", "l", "0", "-1"])).toEqual(["a"]);
  });

  it("a transaction waiting for its keys can be cancelled, and then runs nothing", async () => {
    const repo = new StagedRepository();
    const t = createTestStore({ repository: repo });
    const hold = await t.store.locks.write(["k"]);
    const controller = new AbortController();
    const reason = new Error("deadline");
    const tx = t.store.transaction([["SET", "k", "v"]], undefined, { signal: controller.signal });
    controller.abort(reason);
    await expect(tx).rejects.toBe(reason);
    hold();
    expect(await t.store.exec(["EXISTS", "k"])).toBe(0);
    expect(t.store.locks.idle).toBe(true);
  });

  it("WATCH works across the await", async () => {
    const repo = new StagedRepository();
    const t = createTestStore({ repository: repo });
    await t.store.exec(["SET", "w", "1"]);
    const watch = await t.store.watch(["w"]);
    await t.store.exec(["SET", "w", "2"]);
    expect(await t.store.transaction([["SET", "w", "3"]], watch)).toBeNull();
    expect(await t.store.exec(["GET", "w"])).toBe("2");
  });
});
