import { describe, expect, it } from "vitest";
import { type Clock, createManualClock } from "./clock.js";
import { ALL_COMMANDS } from "./commands.js";
import type { KeyspaceEvent } from "./events.js";
import type { Reply } from "./reply.js";
import { createStore, type Store } from "./store.js";

// INCR, DECR, INCRBY, DECRBY and the push family are `clockFree` (CommandSpec): with no deadline
// in the keyspace and no event listener, the store runs them without reading the clock. Copies
// of the specs without the flag read it every time: the reference every case is compared with.
const CLOCK_FREE = ALL_COMMANDS.filter((c) => c.clockFree === true).map((c) => c.name);
const viaClock = ALL_COMMANDS.map((c) => (c.clockFree === true ? { ...c, clockFree: undefined } : c));

/** A manual clock that counts its reads. */
function countingClock(): Clock & { reads: number; advance(ms: number): void } {
  const inner = createManualClock();
  const clock = {
    reads: 0,
    now: () => {
      clock.reads++;
      return inner.now();
    },
    advance: (ms: number) => inner.advance(ms),
  };
  return clock;
}

function call(store: Store, argv: string[]): Reply | string {
  try {
    return store.run(argv) as Reply;
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}

/** Runs `script` (commands, or a number of ms to advance the clock) on a store; replies and events. */
function play(script: (string[] | number)[], commands = ALL_COMMANDS, listen = false) {
  const clock = countingClock();
  const store = createStore({ clock, commands });
  const events: KeyspaceEvent[] = [];
  if (listen) store.events.subscribe({}, (e) => events.push(e));
  const replies = script.map((step) => {
    if (typeof step === "number") {
      clock.advance(step);
      return `+${step}ms`;
    }
    return call(store, step);
  });
  return { replies, events, clock };
}

describe("clock-free commands", () => {
  it("are the INCR family and the push family", () => {
    expect(CLOCK_FREE.sort()).toEqual(["DECR", "DECRBY", "INCR", "INCRBY", "LPUSH", "LPUSHX", "RPUSH", "RPUSHX"]);
  });

  it("read no clock while no key has a deadline and nothing listens", () => {
    const { replies, clock } = play([
      ["INCR", "c"],
      ["INCRBY", "c", "41"],
      ["DECR", "c"],
      ["DECRBY", "c", "2"],
      ["LPUSH", "l", "a"],
      ["RPUSH", "l", "b"],
      ["LPUSHX", "l", "c"],
      ["RPUSHX", "nope", "d"],
    ]);
    expect(replies).toEqual([1, 42, 41, 39, 1, 2, 3, 0]);
    expect(clock.reads).toBe(0);
  });

  const expiring: (string[] | number)[] = [
    ["SET", "c", "5", "PX", "100"],
    ["INCR", "c"],
    ["PTTL", "c"],
    50,
    ["INCRBY", "c", "10"],
    ["PTTL", "c"],
    60,
    // Past its deadline: the counter starts again from nothing, and has no TTL.
    ["INCR", "c"],
    ["PTTL", "c"],
    ["RPUSH", "l", "a"],
    ["PEXPIRE", "l", "100"],
    ["LPUSH", "l", "b"],
    ["PTTL", "l"],
    150,
    ["RPUSHX", "l", "x"],
    ["LPUSH", "l", "c"],
    ["LRANGE", "l", "0", "-1"],
    ["SET", "d", "1", "PX", "10"],
    ["DECR", "other"],
    20,
    ["DECRBY", "d", "3"],
  ];

  it("see a key's deadline as the command read with the clock does", () => {
    const fast = play(expiring);
    const reference = play(expiring, viaClock);
    expect(fast.replies).toEqual(reference.replies);
    expect(fast.replies.slice(1, 9)).toEqual([6, 100, "+50ms", 16, 50, "+60ms", 1, -1]);
    expect(fast.replies.at(-1)).toBe(-3);
  });

  it("stamp their events with the time while something listens", () => {
    const script: (string[] | number)[] = [
      ["INCR", "c"],
      7,
      ["LPUSH", "l", "a"],
      5,
      ["DECRBY", "c", "4"],
      ["RPUSHX", "l", "b"],
    ];
    const fast = play(script, ALL_COMMANDS, true);
    const reference = play(script, viaClock, true);
    expect(fast.events).toEqual(reference.events);
    const t0 = fast.events[0]?.atMs as number;
    expect(t0).toBeGreaterThan(0);
    expect(fast.events.map((e) => [e.event, e.atMs - t0])).toEqual([
      ["incrby", 0],
      ["lpush", 7],
      ["incrby", 12],
      ["rpush", 12],
    ]);
  });

  it("wake a blocked BLPOP", async () => {
    const store = createStore();
    const popped = store.run(["BLPOP", "q", "0"], {});
    expect(popped).toBeInstanceOf(Promise);
    expect(store.run(["RPUSH", "q", "x", "y"])).toBe(2);
    await expect(popped).resolves.toEqual(["q", "x"]);
    expect(store.run(["LRANGE", "q", "0", "-1"])).toEqual(["y"]);
  });
});

describe("INCR's shared integers (0–9999, as Redis's OBJ_SHARED_INTEGERS)", () => {
  it("store the same text as any other integer, across the boundaries", () => {
    const store = createStore();
    const seen: string[] = [];
    const steps: [string, string][] = [
      ["SET", "9997"],
      ["INCR", ""],
      ["INCR", ""],
      ["INCR", ""],
      ["INCR", ""],
      ["DECRBY", "10001"],
      ["INCR", ""],
      ["INCR", ""],
      ["INCRBY", "-1"],
      ["DECR", ""],
      ["INCRBY", "9999"],
      ["INCRBY", "1"],
    ];
    for (const [cmd, arg] of steps) {
      if (cmd === "SET") store.run(["SET", "c", arg]);
      else if (arg === "") store.run([cmd, "c"]);
      else store.run([cmd, "c", arg]);
      seen.push(store.run(["GET", "c"]) as string);
      // Another counter at the same value, then changed: the first one's text is its own.
      store.run(["SET", "d", seen.at(-1) as string]);
      store.run(["APPEND", "d", "7"]);
    }
    expect(seen).toEqual(["9997", "9998", "9999", "10000", "10001", "0", "1", "2", "1", "0", "9999", "10000"]);
    expect(store.run(["GET", "c"])).toBe("10000");
    expect(store.run(["STRLEN", "c"])).toBe(5);
    expect(store.run(["OBJECT", "ENCODING", "c"])).toBe("int");
  });
});
