import { describe, expect, it } from "vitest";
import { parseBlockTimeout, UNBLOCK_AS_TIMEOUT, type WaitOptions } from "./blocking.js";
import { StoreError } from "./errors.js";
import type { Reply } from "./reply.js";
import { AwaitedRepository, StagedBackend, StagedRepository } from "./staged-repository.test-helpers.js";
import { createStore, type Store } from "./store.js";

const NOW = 1_780_000_000_000;

/** A store command's error message, or its reply. */
async function outcome(store: Store, args: string[], wait?: WaitOptions): Promise<Reply | string> {
  try {
    return await store.exec(args, wait);
  } catch (error) {
    if (error instanceof StoreError) return error.message;
    throw error;
  }
}

/** Starts a blocking command that must wait (nothing settled after the store had its turn). */
async function blocked(store: Store, args: string[], signal?: AbortSignal): Promise<{ reply: Promise<Reply> }> {
  const wait: WaitOptions = { signal };
  const reply = store.exec(args, wait);
  let settled = false;
  reply.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < 5; i++) await Promise.resolve();
  expect(settled, `${args.join(" ")} should block`).toBe(false);
  expect(wait.blocked).toBe(true);
  return { reply };
}

describe("parseBlockTimeout (Redis 7.0.15's getTimeoutFromObjectOrReply, observed)", () => {
  const cases: [string, number | string][] = [
    ["0", 0],
    ["1", NOW + 1000],
    ["1.5", NOW + 1500],
    ["0.0001", NOW + 1], // ceil(0.1 ms)
    ["1e-400", NOW + 1], // long double keeps it: ceil -> 1 ms
    ["0x10", NOW + 16_000], // strtold reads hexadecimal
    ["-0", 0],
    ["-0.0001", 0], // ceil(-0.1) = -0: forever, as in Redis
    ["-0.001", 0], // -0.001 L * 1000 is just above -1: ceil gives 0
    ["-0.0011", "ERR timeout is negative"],
    ["-1", "ERR timeout is negative"],
    ["inf", "ERR timeout is negative"], // (long long) of an infinity is LLONG_MIN
    ["-inf", "ERR timeout is negative"],
    ["1e300", "ERR timeout is negative"],
    ["9223372036854775807", "ERR timeout is negative"],
    ["9223372036854775", 0], // past the latest deadline: waits forever
    ["abc", "ERR timeout is not a float or out of range"],
    ["nan", "ERR timeout is not a float or out of range"],
    ["", "ERR timeout is not a float or out of range"],
    [" 1", "ERR timeout is not a float or out of range"],
    ["1 ", "ERR timeout is not a float or out of range"],
  ];
  it.each(cases)("%j", (arg, expected) => {
    if (typeof expected === "number") expect(parseBlockTimeout(arg, NOW)).toBe(expected);
    else expect(() => parseBlockTimeout(arg, NOW)).toThrow(expected);
  });
});

describe("blocking commands answered at once (Redis 7.0 replies and errors)", () => {
  const cases: [string, string[][], string[], Reply | string][] = [
    ["BLPOP first non-empty key", [["RPUSH", "b", "1", "2"]], ["BLPOP", "a", "b", "0"], ["b", "1"]],
    ["BRPOP", [["RPUSH", "b", "1", "2"]], ["BRPOP", "a", "b", "0"], ["b", "2"]],
    ["BLPOP timeout checked first", [["SET", "a", "x"]], ["BLPOP", "a", "-1"], "ERR timeout is negative"],
    [
      "BLPOP WRONGTYPE",
      [["SET", "a", "x"]],
      ["BLPOP", "a", "0"],
      "WRONGTYPE Operation against a key holding the wrong kind of value",
    ],
    [
      "BLPOP WRONGTYPE after a served key is not seen",
      [
        ["RPUSH", "a", "1"],
        ["SET", "b", "x"],
      ],
      ["BLPOP", "a", "b", "0"],
      ["a", "1"],
    ],
    [
      "BLMPOP count",
      [["RPUSH", "l", "1", "2", "3"]],
      ["BLMPOP", "0", "2", "x", "l", "RIGHT", "COUNT", "2"],
      ["l", ["3", "2"]],
    ],
    ["BLMPOP numkeys before timeout", [], ["BLMPOP", "-1", "0", "l", "LEFT"], "ERR numkeys should be greater than 0"],
    ["BLMPOP where before timeout", [], ["BLMPOP", "-1", "1", "l", "UP"], "ERR syntax error"],
    ["BLMPOP count error", [], ["BLMPOP", "0", "1", "l", "LEFT", "COUNT", "0"], "ERR count should be greater than 0"],
    ["BLMPOP then timeout error", [], ["BLMPOP", "x", "1", "l", "LEFT"], "ERR timeout is not a float or out of range"],
    ["BLMPOP numkeys past argv", [], ["BLMPOP", "0", "5", "l", "LEFT"], "ERR syntax error"],
    ["BLMOVE", [["RPUSH", "s", "1", "2"]], ["BLMOVE", "s", "d", "RIGHT", "LEFT", "0"], "2"],
    ["BLMOVE ends before timeout", [], ["BLMOVE", "s", "d", "UP", "LEFT", "-1"], "ERR syntax error"],
    [
      "BLMOVE destination WRONGTYPE",
      [
        ["RPUSH", "s", "1"],
        ["SET", "d", "x"],
      ],
      ["BLMOVE", "s", "d", "LEFT", "LEFT", "0"],
      "WRONGTYPE Operation against a key holding the wrong kind of value",
    ],
    ["BRPOPLPUSH", [["RPUSH", "s", "1", "2"]], ["BRPOPLPUSH", "s", "d", "0"], "2"],
    ["BRPOPLPUSH timeout", [], ["BRPOPLPUSH", "s", "d", "x"], "ERR timeout is not a float or out of range"],
    ["BZPOPMIN", [["ZADD", "z", "1", "a", "2", "b"]], ["BZPOPMIN", "y", "z", "0"], ["z", "a", "1"]],
    ["BZPOPMAX", [["ZADD", "z", "1", "a", "2.5", "b"]], ["BZPOPMAX", "z", "0"], ["z", "b", "2.5"]],
    [
      "BZPOPMIN WRONGTYPE",
      [["RPUSH", "z", "1"]],
      ["BZPOPMIN", "z", "0"],
      "WRONGTYPE Operation against a key holding the wrong kind of value",
    ],
    [
      "BZMPOP",
      [["ZADD", "z", "1", "a", "2", "b", "3", "c"]],
      ["BZMPOP", "0", "1", "z", "MAX", "COUNT", "2"],
      [
        "z",
        [
          ["c", "3"],
          ["b", "2"],
        ],
      ],
    ],
    ["BZMPOP where", [], ["BZMPOP", "0", "1", "z", "LEFT"], "ERR syntax error"],
    ["ZMPOP", [["ZADD", "z", "1", "a", "2", "b"]], ["ZMPOP", "2", "q", "z", "MIN"], ["z", [["a", "1"]]]],
    [
      "ZMPOP count past size",
      [["ZADD", "z", "1", "a"]],
      ["ZMPOP", "1", "z", "MIN", "COUNT", "10"],
      ["z", [["a", "1"]]],
    ],
    ["ZMPOP empty", [], ["ZMPOP", "1", "z", "MIN"], null],
    [
      "ZMPOP WRONGTYPE",
      [["SET", "z", "x"]],
      ["ZMPOP", "1", "z", "MIN"],
      "WRONGTYPE Operation against a key holding the wrong kind of value",
    ],
    ["ZMPOP numkeys", [], ["ZMPOP", "0", "z", "MIN"], "ERR numkeys should be greater than 0"],
    ["ZMPOP COUNT twice", [], ["ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "1"], "ERR syntax error"],
    ["BLPOP arity", [], ["BLPOP", "k"], "ERR wrong number of arguments for 'blpop' command"],
  ];
  it.each(cases)("%s", async (_name, setup, command, expected) => {
    const store = createStore();
    for (const c of setup) await store.exec(c);
    expect(await outcome(store, command, {})).toEqual(expected);
  });

  it("removes an emptied key, with Redis's events", async () => {
    const store = createStore();
    await store.exec(["RPUSH", "l", "1"]);
    const events: string[] = [];
    store.events.subscribe({}, (e) => events.push(`${e.event}:${e.key}`));
    expect(await store.exec(["BLPOP", "l", "0"], {})).toEqual(["l", "1"]);
    expect(events).toEqual(["lpop:l", "del:l"]);
    expect(await store.exec(["EXISTS", "l"])).toBe(0);
  });

  it("inside MULTI a blocking command is its non-blocking form (nil, even with timeout 0)", async () => {
    const store = createStore();
    const replies = await store.transaction([
      ["BLPOP", "l", "0"],
      ["BZPOPMIN", "z", "0"],
      ["BLMOVE", "a", "b", "LEFT", "LEFT", "0"],
      ["RPUSH", "l", "x"],
      ["BLPOP", "l", "0"],
    ]);
    expect(replies).toEqual([null, null, null, 1, ["l", "x"]]);
  });

  it("without WaitOptions run() never waits (Batch, Pipeline: Redis's CLIENT_DENY_BLOCKING)", () => {
    const store = createStore();
    expect(store.run(["BLPOP", "l", "0"])).toBeNull();
    expect(store.execSync(["BZMPOP", "0", "1", "z", "MIN"])).toBeNull();
    expect(store.blocked.size).toBe(0);
  });
});

describe("a blocked caller", () => {
  it("is woken by each kind of write that makes its key non-empty", async () => {
    const writes: [string, string[][], string[], Reply][] = [
      ["LPUSH", [["LPUSH", "k", "v"]], ["BLPOP", "k", "0"], ["k", "v"]],
      ["RPUSH", [["RPUSH", "k", "v"]], ["BRPOP", "k", "0"], ["k", "v"]],
      [
        "LMOVE",
        [
          ["RPUSH", "src", "v"],
          ["LMOVE", "src", "k", "LEFT", "LEFT"],
        ],
        ["BLPOP", "k", "0"],
        ["k", "v"],
      ],
      [
        "RPOPLPUSH",
        [
          ["RPUSH", "src", "v"],
          ["RPOPLPUSH", "src", "k"],
        ],
        ["BLPOP", "k", "0"],
        ["k", "v"],
      ],
      [
        "RENAME",
        [
          ["RPUSH", "src", "v"],
          ["RENAME", "src", "k"],
        ],
        ["BLPOP", "k", "0"],
        ["k", "v"],
      ],
      [
        "RENAMENX",
        [
          ["RPUSH", "src", "v"],
          ["RENAMENX", "src", "k"],
        ],
        ["BLPOP", "k", "0"],
        ["k", "v"],
      ],
      [
        "COPY",
        [
          ["RPUSH", "src", "v"],
          ["COPY", "src", "k"],
        ],
        ["BLPOP", "k", "0"],
        ["k", "v"],
      ],
      ["ZADD", [["ZADD", "k", "1", "m"]], ["BZPOPMIN", "k", "0"], ["k", "m", "1"]],
      ["ZINCRBY", [["ZINCRBY", "k", "2", "m"]], ["BZPOPMAX", "k", "0"], ["k", "m", "2"]],
      [
        "ZUNIONSTORE",
        [
          ["ZADD", "a", "1", "m"],
          ["ZUNIONSTORE", "k", "1", "a"],
        ],
        ["BZMPOP", "0", "1", "k", "MIN"],
        ["k", [["m", "1"]]],
      ],
      [
        "ZRANGESTORE",
        [
          ["ZADD", "a", "1", "m"],
          ["ZRANGESTORE", "k", "a", "0", "-1"],
        ],
        ["BZPOPMIN", "k", "0"],
        ["k", "m", "1"],
      ],
      [
        "a SET then DEL then RPUSH (other types keep it waiting)",
        [
          ["SET", "k", "s"],
          ["DEL", "k"],
          ["RPUSH", "k", "v"],
        ],
        ["BLPOP", "k", "0"],
        ["k", "v"],
      ],
    ];
    for (const [name, steps, command, expected] of writes) {
      const store = createStore();
      const { reply } = await blocked(store, command);
      for (const step of steps) store.execSync(step);
      expect(await reply, name).toEqual(expected);
      expect(store.blocked.size, name).toBe(0);
    }
  });

  it("is woken by a MULTI/EXEC, after its commit, from the first key the transaction made ready", async () => {
    const store = createStore();
    const { reply } = await blocked(store, ["BLPOP", "a", "b", "0"]);
    const exec = await store.transaction([
      ["RPUSH", "b", "1"],
      ["RPUSH", "a", "2"],
      ["LLEN", "b"],
    ]);
    expect(exec).toEqual([1, 1, 1]); // nothing was served while the transaction ran
    expect(await reply).toEqual(["b", "1"]);
  });

  it("is served before the next command runs (the writer's own next command cannot steal it)", async () => {
    const store = createStore();
    const { reply } = await blocked(store, ["BLPOP", "k", "0"]);
    store.execSync(["RPUSH", "k", "v"]);
    expect(store.execSync(["LPOP", "k"])).toBeNull();
    expect(await reply).toEqual(["k", "v"]);
  });

  it("callers are served FIFO per key, each from the key that became ready", async () => {
    const store = createStore();
    const first = await blocked(store, ["BLPOP", "x", "k", "0"]);
    const second = await blocked(store, ["BRPOP", "k", "0"]);
    const third = await blocked(store, ["BLMPOP", "0", "1", "k", "LEFT", "COUNT", "5"]);
    const fourth = await blocked(store, ["BLPOP", "k", "0"]);
    store.execSync(["RPUSH", "k", "1", "2", "3", "4"]);
    expect(await first.reply).toEqual(["k", "1"]);
    expect(await second.reply).toEqual(["k", "4"]);
    expect(await third.reply).toEqual(["k", ["2", "3"]]);
    expect(store.blocked.size).toBe(1);
    store.execSync(["LPUSH", "k", "5"]);
    expect(await fourth.reply).toEqual(["k", "5"]);
  });

  it("BLMOVE's push wakes the next caller in the same drain", async () => {
    const store = createStore();
    const mover = await blocked(store, ["BLMOVE", "a", "b", "LEFT", "RIGHT", "0"]);
    const popper = await blocked(store, ["BLPOP", "b", "0"]);
    store.execSync(["RPUSH", "a", "v"]);
    expect(await mover.reply).toBe("v");
    expect(await popper.reply).toEqual(["b", "v"]);
    expect(store.execSync(["EXISTS", "a", "b"])).toBe(0);
  });

  it("BLMOVE onto a destination of another type fails that caller and moves nothing", async () => {
    const store = createStore();
    const mover = await blocked(store, ["BLMOVE", "a", "d", "LEFT", "RIGHT", "0"]);
    const next = await blocked(store, ["BLPOP", "a", "0"]);
    store.execSync(["SET", "d", "string"]);
    store.execSync(["RPUSH", "a", "v"]);
    await expect(mover.reply).rejects.toThrow("WRONGTYPE");
    expect(await next.reply).toEqual(["a", "v"]);
  });

  it("times out with nil at its deadline, and its fractional timeout is honoured", async () => {
    const store = createStore();
    const started = Date.now();
    expect(await store.exec(["BLPOP", "k", "0.05"], {})).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(await store.exec(["BZMPOP", "0.01", "1", "z", "MIN"], {})).toBeNull();
    expect(store.blocked.size).toBe(0);
    expect(store.events.listening).toBe(false); // nobody waits: no event cost left behind
  });

  it("is cancelled by its AbortSignal (nothing popped for it afterwards)", async () => {
    const store = createStore();
    const controller = new AbortController();
    const { reply } = await blocked(store, ["BLPOP", "k", "0"], controller.signal);
    controller.abort(new Error("client went away"));
    await expect(reply).rejects.toThrow("client went away");
    store.execSync(["RPUSH", "k", "v"]);
    expect(store.execSync(["LRANGE", "k", "0", "-1"])).toEqual(["v"]);
    expect(store.blocked.size).toBe(0);
  });

  it("an already-aborted signal and UNBLOCK_AS_TIMEOUT (CLIENT UNBLOCK … TIMEOUT)", async () => {
    const store = createStore();
    const aborted = AbortSignal.abort(new Error("gone"));
    await expect(store.exec(["BLPOP", "k", "0"], { signal: aborted })).rejects.toThrow("gone");
    const controller = new AbortController();
    const { reply } = await blocked(store, ["BLPOP", "k", "0"], controller.signal);
    controller.abort(UNBLOCK_AS_TIMEOUT);
    expect(await reply).toBeNull();
  });

  it("ends with UNBLOCKED when the store stops (server shutdown)", async () => {
    const store = createStore();
    const a = await blocked(store, ["BLPOP", "k", "0"]);
    const b = await blocked(store, ["BZPOPMIN", "z", "100"]);
    store.stop();
    await expect(a.reply).rejects.toThrow("UNBLOCKED the server is shutting down");
    await expect(b.reply).rejects.toThrow("UNBLOCKED");
    expect(store.blocked.size).toBe(0);
  });

  it("holds no lock: other commands on its key run while it waits (asynchronous engine)", async () => {
    const store = createStore({ repository: new AwaitedRepository() });
    const { reply } = await blocked(store, ["BLPOP", "k", "0"]);
    expect(await store.exec(["LLEN", "k"])).toBe(0);
    expect(await store.exec(["RPUSH", "k", "v"])).toBe(1);
    expect(await reply).toEqual(["k", "v"]);
    expect(await store.exec(["EXISTS", "k"])).toBe(0);
  });

  it("on an asynchronous engine: FIFO, MULTI/EXEC, timeout and cancellation", async () => {
    const store = createStore({ repository: new AwaitedRepository() });
    const first = await blocked(store, ["BLPOP", "k", "0"]);
    const second = await blocked(store, ["BRPOP", "k", "0"]);
    await store.transaction([["RPUSH", "k", "1", "2", "3"]]);
    expect(await first.reply).toEqual(["k", "1"]);
    expect(await second.reply).toEqual(["k", "3"]);
    expect(await store.exec(["BZPOPMIN", "z", "0.02"], {})).toBeNull();
    const controller = new AbortController();
    const third = await blocked(store, ["BLPOP", "q", "0"], controller.signal);
    controller.abort(new Error("cancelled"));
    await expect(third.reply).rejects.toThrow("cancelled");
  });

  it("a write that lands between the attempt and the wait is not lost (asynchronous engine)", async () => {
    for (let i = 0; i < 20; i++) {
      const store = createStore({ repository: new AwaitedRepository() });
      const reply = store.exec(["BLPOP", "k", "0"], {});
      // Issued in the same turn: it may commit before, during or after BLPOP's attempt.
      const push = store.exec(["RPUSH", "k", `v${i}`]);
      await push;
      expect(await reply).toEqual(["k", `v${i}`]);
    }
  });

  it("is woken by a write on another server of a fleet (an engine that publishes its events)", async () => {
    const backend = new StagedBackend();
    const one = createStore({ repository: new StagedRepository({ backend }) });
    const two = createStore({ repository: new StagedRepository({ backend }) });
    const { reply } = await blocked(one, ["BLPOP", "k", "0"]);
    await two.exec(["RPUSH", "k", "v"]);
    expect(await reply).toEqual(["k", "v"]);
    expect(await two.exec(["EXISTS", "k"])).toBe(0);
  });
});
