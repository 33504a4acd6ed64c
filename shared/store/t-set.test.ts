import { describe, expect, it } from "vitest";
import type { StoreError } from "./errors.js";
import type { Reply } from "./reply.js";
import { SetValue } from "./set-value.js";
import type { Arg } from "./store.js";
import {
  createTestStore,
  deadlineOf,
  err,
  eventTriples,
  exists,
  expectSameReply,
  expireIn,
  putRaw,
  type TestStore,
} from "./testing.js";

/** An error matcher: the code, and the exact message when given. */
const e = (code: StoreError["code"], message = ""): StoreError => err(code, message);

/** Sorts an array reply (set order is unspecified, as in Redis). */
function sorted(reply: Reply): string[] {
  expect(Array.isArray(reply)).toBe(true);
  return [...(reply as string[])].sort();
}

const S = (key: string, ...members: string[]): Arg[] => ["SADD", key, ...members];
const WRONGTYPE = e("WRONGTYPE", "WRONGTYPE Operation against a key holding the wrong kind of value");

describe("set commands: replies", () => {
  const cases: [name: string, setup: Arg[][], command: Arg[], expected: Reply][] = [
    ["SADD counts new members", [], S("s", "a", "b", "a"), 2],
    ["SADD existing members", [S("s", "a")], S("s", "a", "b"), 1],
    ["SADD the empty member", [], S("s", ""), 1],
    ["SADD nothing new", [S("s", "a")], S("s", "a"), 0],
    ["SREM missing key", [], ["SREM", "s", "a"], 0],
    ["SREM counts removed", [S("s", "a", "b", "c")], ["SREM", "s", "a", "a", "z", "b"], 2],
    ["SMEMBERS in insertion order (small)", [S("s", "b", "a", "c")], ["SMEMBERS", "s"], ["b", "a", "c"]],
    ["SMEMBERS order after SREM (small)", [S("s", "a", "b", "c"), ["SREM", "s", "a"]], ["SMEMBERS", "s"], ["b", "c"]],
    ["SMEMBERS missing", [], ["SMEMBERS", "s"], []],
    ["SISMEMBER yes", [S("s", "a")], ["SISMEMBER", "s", "a"], 1],
    ["SISMEMBER no", [S("s", "a")], ["SISMEMBER", "s", "b"], 0],
    ["SISMEMBER empty member", [S("s", "")], ["SISMEMBER", "s", ""], 1],
    ["SISMEMBER missing key", [], ["SISMEMBER", "s", "a"], 0],
    ["SMISMEMBER", [S("s", "a", "c")], ["SMISMEMBER", "s", "a", "b", "c"], [1, 0, 1]],
    ["SMISMEMBER missing key", [], ["SMISMEMBER", "s", "a", "b"], [0, 0]],
    ["SCARD", [S("s", "a", "b")], ["SCARD", "s"], 2],
    ["SCARD missing", [], ["SCARD", "s"], 0],
    ["SPOP missing key", [], ["SPOP", "s"], null],
    ["SPOP with count on a missing key", [], ["SPOP", "s", "2"], []],
    ["SPOP count 0", [S("s", "a")], ["SPOP", "s", "0"], []],
    ["SPOP single member", [S("s", "a")], ["SPOP", "s"], "a"],
    [
      "SPOP negative count",
      [S("s", "a")],
      ["SPOP", "s", "-1"],
      e("NOT_INTEGER", "ERR value is out of range, must be positive"),
    ],
    [
      "SPOP non-integer count",
      [S("s", "a")],
      ["SPOP", "s", "1.5"],
      e("NOT_INTEGER", "ERR value is out of range, must be positive"),
    ],
    [
      "SPOP count past int64",
      [S("s", "a")],
      ["SPOP", "s", "99999999999999999999"],
      e("NOT_INTEGER", "ERR value is out of range, must be positive"),
    ],
    ["SPOP huge count pops all", [S("s", "a")], ["SPOP", "s", "9223372036854775807"], ["a"]],
    ["SPOP too many args", [S("s", "a")], ["SPOP", "s", "1", "2"], e("SYNTAX")],
    ["SRANDMEMBER missing key", [], ["SRANDMEMBER", "s"], null],
    ["SRANDMEMBER count on missing key", [], ["SRANDMEMBER", "s", "5"], []],
    ["SRANDMEMBER single", [S("s", "a")], ["SRANDMEMBER", "s"], "a"],
    ["SRANDMEMBER count 0", [S("s", "a")], ["SRANDMEMBER", "s", "0"], []],
    ["SRANDMEMBER whole set", [S("s", "a", "b")], ["SRANDMEMBER", "s", "10"], ["a", "b"]],
    ["SRANDMEMBER negative repeats", [S("s", "a")], ["SRANDMEMBER", "s", "-3"], ["a", "a", "a"]],
    [
      "SRANDMEMBER bad count",
      [S("s", "a")],
      ["SRANDMEMBER", "s", "x"],
      e("NOT_INTEGER", "ERR value is not an integer or out of range"),
    ],
    [
      "SRANDMEMBER INT64_MIN",
      [],
      ["SRANDMEMBER", "s", "-9223372036854775808"],
      e("NOT_INTEGER", "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"),
    ],
    ["SRANDMEMBER too many args", [S("s", "a")], ["SRANDMEMBER", "s", "1", "2"], e("SYNTAX")],
    ["SRANDMEMBER too many repeats", [S("s", "a")], ["SRANDMEMBER", "s", "-16777217"], e("LIMIT")],
    ["SMOVE missing source", [], ["SMOVE", "a", "b", "m"], 0],
    ["SMOVE missing member", [S("a", "x")], ["SMOVE", "a", "b", "m"], 0],
    ["SMOVE moves", [S("a", "m", "x")], ["SMOVE", "a", "b", "m"], 1],
    ["SMOVE to a set holding the member", [S("a", "m", "x"), S("b", "m")], ["SMOVE", "a", "b", "m"], 1],
    ["SMOVE same key, member present", [S("a", "m")], ["SMOVE", "a", "a", "m"], 1],
    ["SMOVE same key, member absent", [S("a", "m")], ["SMOVE", "a", "a", "z"], 0],
    ["SINTER", [S("a", "1", "2", "3"), S("b", "2", "3", "4")], ["SINTER", "a", "b"], ["2", "3"]],
    ["SINTER single key", [S("a", "1", "2")], ["SINTER", "a"], ["1", "2"]],
    ["SINTER with a missing key", [S("a", "1")], ["SINTER", "a", "zz"], []],
    ["SINTER same key twice", [S("a", "1", "2")], ["SINTER", "a", "a"], ["1", "2"]],
    ["SINTERCARD", [S("a", "1", "2", "3"), S("b", "2", "3", "4")], ["SINTERCARD", "2", "a", "b"], 2],
    [
      "SINTERCARD LIMIT",
      [S("a", "1", "2", "3"), S("b", "1", "2", "3")],
      ["SINTERCARD", "2", "a", "b", "LIMIT", "2"],
      2,
    ],
    ["SINTERCARD LIMIT 0 is no limit", [S("a", "1", "2", "3")], ["SINTERCARD", "1", "a", "limit", "0"], 3],
    ["SINTERCARD last LIMIT wins", [S("a", "1", "2", "3")], ["SINTERCARD", "1", "a", "LIMIT", "1", "LIMIT", "2"], 2],
    ["SINTERCARD missing key", [S("a", "1")], ["SINTERCARD", "2", "a", "zz"], 0],
    ["SINTERCARD numkeys 0", [], ["SINTERCARD", "0", "a"], e("ERR", "ERR numkeys should be greater than 0")],
    ["SINTERCARD numkeys not a number", [], ["SINTERCARD", "x", "a"], e("ERR", "ERR numkeys should be greater than 0")],
    [
      "SINTERCARD numkeys too big",
      [],
      ["SINTERCARD", "2", "a"],
      e("ERR", "ERR Number of keys can't be greater than number of args"),
    ],
    ["SINTERCARD negative LIMIT", [], ["SINTERCARD", "1", "a", "LIMIT", "-1"], e("ERR", "ERR LIMIT can't be negative")],
    ["SINTERCARD bad LIMIT", [], ["SINTERCARD", "1", "a", "LIMIT", "x"], e("ERR", "ERR LIMIT can't be negative")],
    ["SINTERCARD LIMIT without value", [], ["SINTERCARD", "1", "a", "LIMIT"], e("SYNTAX")],
    ["SINTERCARD unknown option", [], ["SINTERCARD", "1", "a", "FOO"], e("SYNTAX")],
    ["SUNION", [S("a", "1", "2"), S("b", "2", "3")], ["SUNION", "a", "b", "zz"], ["1", "2", "3"]],
    ["SUNION all missing", [], ["SUNION", "a", "b"], []],
    ["SDIFF", [S("a", "1", "2", "3", "4"), S("b", "2"), S("c", "4", "5")], ["SDIFF", "a", "b", "c", "zz"], ["1", "3"]],
    ["SDIFF first missing", [S("b", "2")], ["SDIFF", "zz", "b"], []],
    ["SDIFF same key", [S("a", "1", "2")], ["SDIFF", "a", "a"], []],
    ["SDIFF single key", [S("a", "1", "2")], ["SDIFF", "a"], ["1", "2"]],
    ["SINTERSTORE", [S("a", "1", "2"), S("b", "2", "3")], ["SINTERSTORE", "d", "a", "b"], 1],
    [
      "SINTERSTORE result",
      [S("a", "1", "2"), S("b", "2", "3"), ["SINTERSTORE", "d", "a", "b"]],
      ["SMEMBERS", "d"],
      ["2"],
    ],
    ["SUNIONSTORE", [S("a", "1", "2"), S("b", "2", "3")], ["SUNIONSTORE", "d", "a", "b"], 3],
    ["SDIFFSTORE", [S("a", "1", "2"), S("b", "2", "3")], ["SDIFFSTORE", "d", "a", "b"], 1],
    [
      "SDIFFSTORE result",
      [S("a", "1", "2"), S("b", "2", "3"), ["SDIFFSTORE", "d", "a", "b"]],
      ["SMEMBERS", "d"],
      ["1"],
    ],
    ["SINTERSTORE into a source key", [S("a", "1", "2"), S("b", "2")], ["SINTERSTORE", "a", "a", "b"], 1],
    ["SUNIONSTORE empty result", [S("d", "x")], ["SUNIONSTORE", "d", "zz"], 0],
    ["SSCAN missing key", [], ["SSCAN", "s", "0"], ["0", []]],
    ["SSCAN bad cursor", [], ["SSCAN", "s", "x"], e("INVALID_CURSOR", "ERR invalid cursor")],
    ["SSCAN small set", [S("s", "a", "b")], ["SSCAN", "s", "0"], ["0", ["a", "b"]]],
    [
      "SSCAN small set whole despite COUNT",
      [S("s", "a", "b", "c")],
      ["SSCAN", "s", "0", "COUNT", "1"],
      ["0", ["a", "b", "c"]],
    ],
    ["SSCAN MATCH", [S("s", "a1", "b1", "a2")], ["SSCAN", "s", "0", "MATCH", "a*"], ["0", ["a1", "a2"]]],
    ["SSCAN NOVALUES is a hash option", [S("s", "a")], ["SSCAN", "s", "0", "NOVALUES"], e("SYNTAX")],
    ["SSCAN bad COUNT", [S("s", "a")], ["SSCAN", "s", "0", "COUNT", "x"], e("NOT_INTEGER")],
    ["SSCAN unknown cursor", [S("s", "a")], ["SSCAN", "s", "777"], e("INVALID_CURSOR")],
  ];
  it.each(cases)("%s", (_name, setup, command, expected) => {
    const t = createTestStore();
    for (const c of setup) t.ok(...c);
    expectSameReply(t.run(...command), expected);
  });
});

describe("set commands: WRONGTYPE", () => {
  const commands: Arg[][] = [
    ["SADD", "k", "m"],
    ["SREM", "k", "m"],
    ["SMEMBERS", "k"],
    ["SISMEMBER", "k", "m"],
    ["SMISMEMBER", "k", "m"],
    ["SCARD", "k"],
    ["SPOP", "k"],
    ["SPOP", "k", "2"],
    ["SRANDMEMBER", "k"],
    ["SRANDMEMBER", "k", "-2"],
    ["SMOVE", "k", "s", "m"],
    ["SMOVE", "s", "k", "m"],
    ["SINTER", "s", "k"],
    ["SINTER", "zz", "k"],
    ["SUNION", "s", "k"],
    ["SDIFF", "zz", "k"],
    ["SDIFF", "s", "k"],
    ["SINTERSTORE", "d", "s", "k"],
    ["SUNIONSTORE", "d", "k"],
    ["SDIFFSTORE", "d", "s", "k"],
    ["SINTERCARD", "2", "zz", "k"],
    ["SSCAN", "k", "0"],
  ];
  it.each(commands)("%s against a string", (...command) => {
    const t = createTestStore();
    putRaw(t, "k", "str");
    t.ok("SADD", "s", "m");
    expectSameReply(t.run(...command), WRONGTYPE);
  });

  it.each(commands)("%s against a hash", (...command) => {
    const t = createTestStore();
    t.ok("HSET", "k", "f", "v");
    t.ok("SADD", "s", "m");
    expectSameReply(t.run(...command), WRONGTYPE);
  });

  it("SMOVE from a missing source does not look at the destination's type", () => {
    const t = createTestStore();
    putRaw(t, "k", "str");
    expect(t.run("SMOVE", "zz", "k", "m")).toBe(0);
  });

  it("SMOVE checks the destination's type even when the member is absent", () => {
    const t = createTestStore();
    putRaw(t, "k", "str");
    t.ok("SADD", "s", "x");
    expectSameReply(t.run("SMOVE", "s", "k", "absent"), WRONGTYPE);
  });

  it("the STORE forms overwrite a destination of any type", () => {
    const t = createTestStore();
    putRaw(t, "d", "str");
    t.ok("SADD", "a", "1");
    expect(t.ok("SUNIONSTORE", "d", "a")).toBe(1);
    expect(t.ok("SMEMBERS", "d")).toEqual(["1"]);
  });

  it.each([
    ["SADD", "s"],
    ["SREM", "s"],
    ["SCARD"],
    ["SMOVE", "a", "b"],
    ["SINTER"],
    ["SINTERSTORE", "d"],
    ["SINTERCARD", "1"],
    ["SSCAN", "s"],
  ])("%s with too few arguments is an arity error", (...command) => {
    const t = createTestStore();
    expectSameReply(t.run(...command), e("WRONG_ARITY"));
  });
});

describe("set commands: events", () => {
  const cases: [name: string, setup: Arg[][], command: Arg[], events: [string, string, string][]][] = [
    ["SADD", [], S("s", "a"), [["set", "sadd", "s"]]],
    ["SADD nothing new", [S("s", "a")], S("s", "a"), []],
    ["SREM", [S("s", "a", "b")], ["SREM", "s", "a"], [["set", "srem", "s"]]],
    ["SREM nothing", [S("s", "a")], ["SREM", "s", "z"], []],
    [
      "SREM last",
      [S("s", "a")],
      ["SREM", "s", "a"],
      [
        ["set", "srem", "s"],
        ["generic", "del", "s"],
      ],
    ],
    ["SPOP", [S("s", "a", "b")], ["SPOP", "s"], [["set", "spop", "s"]]],
    [
      "SPOP last",
      [S("s", "a")],
      ["SPOP", "s"],
      [
        ["set", "spop", "s"],
        ["generic", "del", "s"],
      ],
    ],
    ["SPOP count", [S("s", "a", "b", "c")], ["SPOP", "s", "2"], [["set", "spop", "s"]]],
    [
      "SPOP count all",
      [S("s", "a", "b")],
      ["SPOP", "s", "5"],
      [
        ["set", "spop", "s"],
        ["generic", "del", "s"],
      ],
    ],
    ["SPOP count 0", [S("s", "a")], ["SPOP", "s", "0"], []],
    [
      "SMOVE",
      [S("a", "m", "x")],
      ["SMOVE", "a", "b", "m"],
      [
        ["set", "srem", "a"],
        ["set", "sadd", "b"],
      ],
    ],
    [
      "SMOVE emptying the source",
      [S("a", "m")],
      ["SMOVE", "a", "b", "m"],
      [
        ["set", "srem", "a"],
        ["generic", "del", "a"],
        ["set", "sadd", "b"],
      ],
    ],
    ["SMOVE into a set holding it", [S("a", "m", "x"), S("b", "m")], ["SMOVE", "a", "b", "m"], [["set", "srem", "a"]]],
    ["SMOVE same key", [S("a", "m")], ["SMOVE", "a", "a", "m"], []],
    ["SINTERSTORE", [S("a", "1"), S("b", "1")], ["SINTERSTORE", "d", "a", "b"], [["set", "sinterstore", "d"]]],
    ["SUNIONSTORE", [S("a", "1")], ["SUNIONSTORE", "d", "a"], [["set", "sunionstore", "d"]]],
    ["SDIFFSTORE", [S("a", "1")], ["SDIFFSTORE", "d", "a"], [["set", "sdiffstore", "d"]]],
    [
      "SINTERSTORE empty deletes",
      [S("a", "1"), S("d", "x")],
      ["SINTERSTORE", "d", "a", "zz"],
      [["generic", "del", "d"]],
    ],
    ["SDIFFSTORE empty on missing dst", [S("a", "1")], ["SDIFFSTORE", "d", "a", "a"], []],
    ["reads emit nothing", [S("a", "1")], ["SRANDMEMBER", "a", "-3"], []],
  ];
  it.each(cases)("%s", (_name, setup, command, events) => {
    const t = createTestStore();
    for (const c of setup) t.ok(...c);
    t.events.length = 0;
    t.run(...command);
    expect(eventTriples(t)).toEqual(events);
  });
});

describe("set commands: keyspace and TTL", () => {
  it("removing the last member removes the key", () => {
    const t = createTestStore();
    t.ok("SADD", "s", "a", "b");
    expect(t.ok("SREM", "s", "a", "b", "c")).toBe(2);
    expect(exists(t, "s")).toBe(false);
    t.ok("SADD", "s", "a");
    expect(t.ok("SPOP", "s")).toBe("a");
    expect(exists(t, "s")).toBe(false);
    t.ok("SADD", "s", "a", "b");
    expect(sorted(t.ok("SPOP", "s", "2"))).toEqual(["a", "b"]);
    expect(exists(t, "s")).toBe(false);
    t.ok("SADD", "s", "a");
    t.ok("SMOVE", "s", "d", "a");
    expect(exists(t, "s")).toBe(false);
    expect(t.ok("SMEMBERS", "d")).toEqual(["a"]);
  });

  it("in-place changes keep the TTL", () => {
    const t = createTestStore();
    t.ok("SADD", "s", "a", "b", "c", "d");
    expireIn(t, "s", 5000);
    const at = deadlineOf(t, "s");
    expect(at).toBe(t.clock.now() + 5000);
    t.ok("SADD", "s", "e");
    t.ok("SREM", "s", "a");
    t.ok("SPOP", "s");
    t.ok("SPOP", "s", "1");
    t.ok("SMOVE", "s", "other", "e");
    expect(deadlineOf(t, "s")).toBe(at);
  });

  it("SMOVE into an existing destination keeps the destination's TTL", () => {
    const t = createTestStore();
    t.ok("SADD", "a", "m", "x");
    t.ok("SADD", "b", "y");
    expireIn(t, "b", 5000);
    t.ok("SMOVE", "a", "b", "m");
    expect(deadlineOf(t, "b")).toBe(t.clock.now() + 5000);
  });

  it.each(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"])("%s clears the destination's TTL", (command) => {
    const t = createTestStore();
    t.ok("SADD", "a", "1", "2");
    t.ok("SADD", "d", "old");
    expireIn(t, "d", 5000);
    expect(t.ok(command, "d", "a")).toBe(2);
    expect(deadlineOf(t, "d")).toBeUndefined();
    expect(sorted(t.ok("SMEMBERS", "d"))).toEqual(["1", "2"]);
  });

  it.each(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"])(
    "%s with an empty result removes the destination",
    (command) => {
      const t = createTestStore();
      t.ok("SADD", "d", "old");
      expect(t.ok(command, "d", "missing")).toBe(0);
      expect(exists(t, "d")).toBe(false);
    },
  );

  it("the stored result is a copy, independent of its sources", () => {
    const t = createTestStore();
    t.ok("SADD", "a", "1", "2");
    t.ok("SUNIONSTORE", "d", "a");
    t.ok("SADD", "a", "3");
    t.ok("SDIFFSTORE", "e", "a");
    t.ok("SREM", "a", "1");
    expect(sorted(t.ok("SMEMBERS", "d"))).toEqual(["1", "2"]);
    expect(sorted(t.ok("SMEMBERS", "e"))).toEqual(["1", "2", "3"]);
  });

  it("an expired set is missing", () => {
    const t = createTestStore();
    t.ok("SADD", "s", "a");
    t.ok("SADD", "b", "a");
    expireIn(t, "s", 1000);
    t.clock.advance(1001);
    expect(t.ok("SCARD", "s")).toBe(0);
    expect(t.ok("SINTER", "s", "b")).toEqual([]);
    expect(t.ok("SMOVE", "s", "b", "a")).toBe(0);
    expect(t.ok("SADD", "s", "x")).toBe(1);
    expect(deadlineOf(t, "s")).toBeUndefined();
  });

  it("binary members are kept byte for byte", () => {
    const t = createTestStore();
    t.ok("SADD", "s", new Uint8Array([0, 255]), "é");
    expect(t.ok("SMEMBERS", "s")).toEqual(["\x00\xff", "\xc3\xa9"]);
    expect(t.ok("SISMEMBER", "s", new Uint8Array([0xc3, 0xa9]))).toBe(1);
  });

  it("SINTERCARD keys are extracted from numkeys (key limits apply)", () => {
    const t = createTestStore({ limits: { maxKeyBytes: 4 } });
    const spec = t.store.commands.get("SINTERCARD");
    expect(spec?.keys?.(["SINTERCARD", "2", "a", "b", "LIMIT", "1"])).toEqual(["a", "b"]);
    expect(spec?.keys?.(["SINTERCARD", "x", "a"])).toEqual([]);
    expect(spec?.keys?.(["SINTERCARD", "5", "a"])).toEqual(["a"]);
    expectSameReply(t.run("SINTERCARD", "1", "toolong"), e("LIMIT"));
  });
});

describe("large sets (indexed)", () => {
  const N = 300;
  const members = Array.from({ length: N }, (_, i) => `m${i}`);
  function big(key = "s"): TestStore {
    const t = createTestStore();
    t.ok("SADD", key, ...members);
    return t;
  }

  it("SPOP with a count removes distinct members, O(count)", () => {
    const t = big();
    const popped = t.ok("SPOP", "s", "120") as string[];
    expect(popped.length).toBe(120);
    expect(new Set(popped).size).toBe(120);
    expect(t.ok("SCARD", "s")).toBe(N - 120);
    for (const m of popped) expect(t.ok("SISMEMBER", "s", m)).toBe(0);
    const rest = t.ok("SMEMBERS", "s") as string[];
    expect(new Set([...rest, ...popped]).size).toBe(N);
  });

  it("SPOP one at a time drains the set, each member exactly once", () => {
    const t = big();
    const seen = new Set<string>();
    for (let i = 0; i < N; i++) seen.add(t.ok("SPOP", "s") as string);
    expect(seen.size).toBe(N);
    expect(t.ok("SPOP", "s")).toBe(null);
    expect(exists(t, "s")).toBe(false);
  });

  it("SRANDMEMBER positive count gives distinct members", () => {
    const t = big();
    for (const count of [2, 50, 150, 299]) {
      const reply = t.ok("SRANDMEMBER", "s", String(count)) as string[];
      expect(reply.length).toBe(count);
      expect(new Set(reply).size).toBe(count);
      for (const m of reply) expect(members).toContain(m);
    }
    expect(sorted(t.ok("SRANDMEMBER", "s", "300"))).toEqual([...members].sort());
  });

  it("SRANDMEMBER negative count is uniform with repeats", () => {
    const t = big();
    const draws = 60_000;
    const reply = t.ok("SRANDMEMBER", "s", String(-draws)) as string[];
    expect(reply.length).toBe(draws);
    const hits = new Map<string, number>();
    for (const m of reply) hits.set(m, (hits.get(m) ?? 0) + 1);
    expect(hits.size).toBe(N);
    for (const n of hits.values()) {
      expect(n).toBeGreaterThan(200 * 0.6);
      expect(n).toBeLessThan(200 * 1.4);
    }
  });

  it("SPOP picks are uniform across runs", () => {
    const hits = new Map<string, number>();
    const t = createTestStore();
    for (let run = 0; run < 3000; run++) {
      t.ok("SADD", "s", ...members.slice(0, 30));
      const m = t.ok("SPOP", "s") as string;
      hits.set(m, (hits.get(m) ?? 0) + 1);
      t.ok("SPOP", "s", "100");
    }
    expect(hits.size).toBe(30);
    for (const n of hits.values()) {
      expect(n).toBeGreaterThan(100 * 0.6);
      expect(n).toBeLessThan(100 * 1.4);
    }
  });

  it("set algebra on large sets", () => {
    const t = big("a");
    t.ok("SADD", "b", ...members.filter((_, i) => i % 2 === 0));
    t.ok("SADD", "c", ...members.filter((_, i) => i % 3 === 0));
    expect(t.ok("SINTERCARD", "3", "a", "b", "c")).toBe(50);
    expect(t.ok("SINTERCARD", "3", "a", "b", "c", "LIMIT", "7")).toBe(7);
    const inter = t.ok("SINTER", "a", "b", "c") as string[];
    expect(inter.length).toBe(50);
    for (const m of inter) expect(Number(m.slice(1)) % 6).toBe(0);
    expect(t.ok("SUNIONSTORE", "u", "b", "c")).toBe(200);
    // 300 - multiples of 2 or 3 = 100
    const diff = t.ok("SDIFF", "a", "b", "c") as string[];
    expect(diff.length).toBe(100);
    for (const m of diff) {
      const n = Number(m.slice(1));
      expect(n % 2 !== 0 && n % 3 !== 0).toBe(true);
    }
    // The "copy and remove" strategy (large first set, small others) gives the same answer.
    t.ok("SADD", "tiny", "m0", "m1");
    expect(t.ok("SDIFFSTORE", "d", "a", "tiny")).toBe(N - 2);
    expect(t.ok("SISMEMBER", "d", "m0")).toBe(0);
    expect(t.ok("SISMEMBER", "d", "m2")).toBe(1);
  });

  it("SSCAN returns every member exactly once, also with changes during the scan", () => {
    const t = big();
    const seen = new Map<string, number>();
    let [cursor, items] = t.ok("SSCAN", "s", "0", "COUNT", "25") as [string, string[]];
    for (const m of items) seen.set(m, (seen.get(m) ?? 0) + 1);
    const removed = members.filter((m) => !seen.has(m)).slice(0, 40);
    t.ok("SREM", "s", ...removed);
    t.ok("SADD", "s", "late1", "late2");
    while (cursor !== "0") {
      [cursor, items] = t.ok("SSCAN", "s", cursor, "COUNT", "25") as [string, string[]];
      expect(items.length).toBeLessThanOrEqual(25);
      for (const m of items) seen.set(m, (seen.get(m) ?? 0) + 1);
    }
    for (const m of members) expect(seen.get(m)).toBe(removed.includes(m) ? undefined : 1);
  });

  it("SSCAN MATCH on a large set", () => {
    const t = big();
    const found: string[] = [];
    let cursor = "0";
    do {
      const [next, items] = t.ok("SSCAN", "s", cursor, "MATCH", "m1?", "COUNT", "50") as [string, string[]];
      found.push(...items);
      cursor = next;
    } while (cursor !== "0");
    expect(found.sort()).toEqual(["m10", "m11", "m12", "m13", "m14", "m15", "m16", "m17", "m18", "m19"]);
  });
});

describe("SetValue", () => {
  it("clone is deep", () => {
    const s = SetValue.of(members(40));
    const c = s.clone();
    s.remove("m0");
    s.add("new");
    expect(c.has("m0")).toBe(true);
    expect(c.has("new")).toBe(false);
    expect(c.size).toBe(40);
    c.remove("m1");
    expect(s.has("m1")).toBe(true);
  });

  it("reports its type, encoding and memory", () => {
    const s = SetValue.of(["a"]);
    expect(s.type).toBe("set");
    expect(s.encoding).toBe("listpack");
    const small = s.memoryBytes();
    for (const m of members(50)) s.add(m);
    expect(s.encoding).toBe("hashtable");
    expect(s.memoryBytes()).toBeGreaterThan(small);
  });
});

function members(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `m${i}`);
}
