import { describe, expect, it } from "vitest";
import type { StoreError } from "./errors.js";
import { HashValue } from "./hash-value.js";
import { OK, type Reply } from "./reply.js";
import type { Arg } from "./store.js";
import {
  createTestStore,
  deadlineOf,
  err,
  eventTriples,
  exists,
  expectSameReply,
  expireIn,
  peek,
  putRaw,
  type TestStore,
} from "./testing.js";

/** Runs `setup` (each must succeed), then returns the reply of `command`. */
function replyAfter(setup: Arg[][], command: Arg[]): { t: TestStore; reply: Reply } {
  const t = createTestStore();
  for (const c of setup) t.ok(...c);
  return { t, reply: t.run(...command) };
}

/** An error matcher: the code, and the exact message when given. */
const e = (code: StoreError["code"], message = ""): StoreError => err(code, message);

const H = (...pairs: string[]): Arg[] => ["HSET", "h", ...pairs];

describe("hash commands: replies", () => {
  const cases: [name: string, setup: Arg[][], command: Arg[], expected: Reply][] = [
    ["HSET creates and counts new fields", [], H("a", "1", "b", "2"), 2],
    ["HSET counts only new fields", [H("a", "1")], H("a", "x", "b", "2"), 1],
    ["HSET same field twice in one call", [], H("a", "1", "a", "2"), 1],
    ["HSET value of the repeated field is the last", [H("a", "1", "a", "2")], ["HGET", "h", "a"], "2"],
    [
      "HSET odd pairs is an arity error",
      [],
      H("a", "1", "b"),
      e("WRONG_ARITY", "ERR wrong number of arguments for 'hset' command"),
    ],
    [
      "HSET without pairs",
      [],
      ["HSET", "h", "a"],
      e("WRONG_ARITY", "ERR wrong number of arguments for 'hset' command"),
    ],
    ["HMSET replies OK", [], ["HMSET", "h", "a", "1", "b", "2"], OK],
    [
      "HMSET odd pairs",
      [],
      ["HMSET", "h", "a", "1", "b"],
      e("WRONG_ARITY", "ERR wrong number of arguments for 'hmset' command"),
    ],
    ["HSETNX sets a new field", [], ["HSETNX", "h", "a", "1"], 1],
    ["HSETNX keeps an existing field", [H("a", "1")], ["HSETNX", "h", "a", "2"], 0],
    ["HSETNX existing field value unchanged", [H("a", "1"), ["HSETNX", "h", "a", "2"]], ["HGET", "h", "a"], "1"],
    ["HGET missing key", [], ["HGET", "h", "a"], null],
    ["HGET missing field", [H("a", "1")], ["HGET", "h", "b"], null],
    ["HGET empty field and value", [H("", "")], ["HGET", "h", ""], ""],
    ["HMGET mixes values and nils", [H("a", "1", "c", "3")], ["HMGET", "h", "a", "b", "c"], ["1", null, "3"]],
    ["HMGET missing key", [], ["HMGET", "h", "a", "b"], [null, null]],
    ["HDEL missing key", [], ["HDEL", "h", "a"], 0],
    ["HDEL counts removed fields once", [H("a", "1", "b", "2", "c", "3")], ["HDEL", "h", "a", "a", "b", "z"], 2],
    ["HLEN", [H("a", "1", "b", "2")], ["HLEN", "h"], 2],
    ["HLEN missing", [], ["HLEN", "h"], 0],
    ["HSTRLEN", [H("a", "hello")], ["HSTRLEN", "h", "a"], 5],
    ["HSTRLEN missing field", [H("a", "hello")], ["HSTRLEN", "h", "b"], 0],
    ["HSTRLEN missing key", [], ["HSTRLEN", "h", "b"], 0],
    ["HSTRLEN counts bytes", [H("a", "é")], ["HSTRLEN", "h", "a"], 2],
    ["HEXISTS yes", [H("a", "1")], ["HEXISTS", "h", "a"], 1],
    ["HEXISTS no", [H("a", "1")], ["HEXISTS", "h", "b"], 0],
    ["HEXISTS missing key", [], ["HEXISTS", "h", "b"], 0],
    ["HGETALL flat, in insertion order", [H("b", "2", "a", "1")], ["HGETALL", "h"], ["b", "2", "a", "1"]],
    [
      "HGETALL after update keeps the slot",
      [H("b", "2", "a", "1"), H("b", "x")],
      ["HGETALL", "h"],
      ["b", "x", "a", "1"],
    ],
    [
      "HGETALL after delete keeps order (small)",
      [H("a", "1", "b", "2", "c", "3"), ["HDEL", "h", "a"]],
      ["HGETALL", "h"],
      ["b", "2", "c", "3"],
    ],
    ["HGETALL missing", [], ["HGETALL", "h"], []],
    ["HKEYS", [H("a", "1", "b", "2")], ["HKEYS", "h"], ["a", "b"]],
    ["HKEYS missing", [], ["HKEYS", "h"], []],
    ["HVALS", [H("a", "1", "b", "2")], ["HVALS", "h"], ["1", "2"]],
    ["HVALS missing", [], ["HVALS", "h"], []],
    ["HINCRBY creates the field", [], ["HINCRBY", "h", "n", "5"], 5],
    ["HINCRBY adds", [H("n", "10")], ["HINCRBY", "h", "n", "-15"], -5],
    ["HINCRBY stores the text", [H("n", "10"), ["HINCRBY", "h", "n", "1"]], ["HGET", "h", "n"], "11"],
    [
      "HINCRBY on a non-integer",
      [H("n", "1.5")],
      ["HINCRBY", "h", "n", "1"],
      e("ERR", "ERR hash value is not an integer"),
    ],
    [
      "HINCRBY on an empty value",
      [H("n", "")],
      ["HINCRBY", "h", "n", "1"],
      e("ERR", "ERR hash value is not an integer"),
    ],
    [
      "HINCRBY on a spaced value",
      [H("n", " 1")],
      ["HINCRBY", "h", "n", "1"],
      e("ERR", "ERR hash value is not an integer"),
    ],
    [
      "HINCRBY bad increment",
      [],
      ["HINCRBY", "h", "n", "x"],
      e("NOT_INTEGER", "ERR value is not an integer or out of range"),
    ],
    ["HINCRBY float increment", [], ["HINCRBY", "h", "n", "1.0"], e("NOT_INTEGER")],
    [
      "HINCRBY overflow up",
      [H("n", "9223372036854775807")],
      ["HINCRBY", "h", "n", "1"],
      e("OVERFLOW", "ERR increment or decrement would overflow"),
    ],
    ["HINCRBY overflow down", [H("n", "-9223372036854775808")], ["HINCRBY", "h", "n", "-1"], e("OVERFLOW")],
    ["HINCRBY to the max", [H("n", "9223372036854775806")], ["HINCRBY", "h", "n", "1"], 9223372036854775807n],
    ["HINCRBY past 2^53 replies a bigint", [H("n", "9007199254740992")], ["HINCRBY", "h", "n", "1"], 9007199254740993n],
    [
      "HINCRBY back into safe range is a number",
      [H("n", "9007199254740993")],
      ["HINCRBY", "h", "n", "-2"],
      9007199254740991,
    ],
    ["HINCRBY by the min", [H("n", "0")], ["HINCRBY", "h", "n", "-9223372036854775808"], -9223372036854775808n],
    ["HINCRBYFLOAT creates the field", [], ["HINCRBYFLOAT", "h", "f", "1.5"], "1.5"],
    ["HINCRBYFLOAT long-double rounding like Redis", [H("f", "0.1")], ["HINCRBYFLOAT", "h", "f", "0.2"], "0.3"],
    ["HINCRBYFLOAT exponent input", [H("f", "5.0e3")], ["HINCRBYFLOAT", "h", "f", "2.0e2"], "5200"],
    ["HINCRBYFLOAT on an integer", [H("f", "10")], ["HINCRBYFLOAT", "h", "f", "0.1"], "10.1"],
    ["HINCRBYFLOAT negative to zero", [H("f", "1.5")], ["HINCRBYFLOAT", "h", "f", "-1.5"], "0"],
    ["HINCRBYFLOAT stores the text", [H("f", "1"), ["HINCRBYFLOAT", "h", "f", "2.25"]], ["HGET", "h", "f"], "3.25"],
    [
      "HINCRBYFLOAT on a non-float",
      [H("f", "abc")],
      ["HINCRBYFLOAT", "h", "f", "1"],
      e("ERR", "ERR hash value is not a float"),
    ],
    [
      "HINCRBYFLOAT bad increment",
      [],
      ["HINCRBYFLOAT", "h", "f", "abc"],
      e("NOT_FLOAT", "ERR value is not a valid float"),
    ],
    [
      "HINCRBYFLOAT infinite increment",
      [],
      ["HINCRBYFLOAT", "h", "f", "inf"],
      e("ERR", "ERR value is NaN or Infinity"),
    ],
    ["HINCRBYFLOAT NaN increment", [], ["HINCRBYFLOAT", "h", "f", "nan"], e("NOT_FLOAT")],
    [
      "HINCRBYFLOAT to infinity",
      [H("f", "inf")],
      ["HINCRBYFLOAT", "h", "f", "1"],
      e("ERR", "ERR increment would produce NaN or Infinity"),
    ],
    ["HRANDFIELD missing key", [], ["HRANDFIELD", "h"], null],
    ["HRANDFIELD count on missing key", [], ["HRANDFIELD", "h", "3"], []],
    ["HRANDFIELD count 0", [H("a", "1")], ["HRANDFIELD", "h", "0"], []],
    ["HRANDFIELD whole hash when count >= size", [H("a", "1", "b", "2")], ["HRANDFIELD", "h", "5"], ["a", "b"]],
    [
      "HRANDFIELD whole hash WITHVALUES",
      [H("a", "1", "b", "2")],
      ["HRANDFIELD", "h", "2", "withvalues"],
      ["a", "1", "b", "2"],
    ],
    ["HRANDFIELD huge count is the whole hash", [H("a", "1")], ["HRANDFIELD", "h", "9223372036854775807"], ["a"]],
    [
      "HRANDFIELD negative on one field repeats",
      [H("a", "1")],
      ["HRANDFIELD", "h", "-3", "WITHVALUES"],
      ["a", "1", "a", "1", "a", "1"],
    ],
    ["HRANDFIELD bad count", [H("a", "1")], ["HRANDFIELD", "h", "x"], e("NOT_INTEGER")],
    [
      "HRANDFIELD count INT64_MIN",
      [],
      ["HRANDFIELD", "h", "-9223372036854775808"],
      e("NOT_INTEGER", "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"),
    ],
    [
      "HRANDFIELD WITHVALUES range",
      [],
      ["HRANDFIELD", "h", "4611686018427387904", "WITHVALUES"],
      e("NOT_INTEGER", "ERR value is out of range"),
    ],
    [
      "HRANDFIELD WITHVALUES negative range",
      [],
      ["HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES"],
      e("NOT_INTEGER", "ERR value is out of range"),
    ],
    ["HRANDFIELD bad option", [H("a", "1")], ["HRANDFIELD", "h", "1", "foo"], e("SYNTAX")],
    ["HRANDFIELD too many args", [H("a", "1")], ["HRANDFIELD", "h", "1", "WITHVALUES", "x"], e("SYNTAX")],
    ["HRANDFIELD too many repeats", [H("a", "1")], ["HRANDFIELD", "h", "-16777217"], e("LIMIT")],
    ["HSCAN missing key", [], ["HSCAN", "h", "0"], ["0", []]],
    ["HSCAN missing key ignores options", [], ["HSCAN", "h", "0", "FOO"], ["0", []]],
    ["HSCAN bad cursor", [], ["HSCAN", "h", "abc"], e("INVALID_CURSOR", "ERR invalid cursor")],
    ["HSCAN small hash whole", [H("a", "1", "b", "2")], ["HSCAN", "h", "0"], ["0", ["a", "1", "b", "2"]]],
    ["HSCAN cursor 00 starts over", [H("a", "1")], ["HSCAN", "h", "00"], ["0", ["a", "1"]]],
    ["HSCAN NOVALUES", [H("a", "1", "b", "2")], ["HSCAN", "h", "0", "NOVALUES"], ["0", ["a", "b"]]],
    [
      "HSCAN MATCH",
      [H("a1", "1", "b1", "2", "a2", "3")],
      ["HSCAN", "h", "0", "MATCH", "a*"],
      ["0", ["a1", "1", "a2", "3"]],
    ],
    ["HSCAN bad option", [H("a", "1")], ["HSCAN", "h", "0", "FOO"], e("SYNTAX")],
    ["HSCAN unknown cursor", [H("a", "1")], ["HSCAN", "h", "12345"], e("INVALID_CURSOR")],
    ["HSCAN negative COUNT", [H("a", "1")], ["HSCAN", "h", "0", "COUNT", "-1"], e("SYNTAX", "ERR syntax error")],
    ["HSCAN COUNT 0", [H("a", "1")], ["HSCAN", "h", "0", "COUNT", "0"], e("SYNTAX", "ERR syntax error")],
  ];
  it.each(cases)("%s", (_name, setup, command, expected) => {
    const { reply } = replyAfter(setup, command);
    expectSameReply(reply, expected);
  });
});

describe("hash commands: WRONGTYPE", () => {
  const commands: Arg[][] = [
    ["HSET", "k", "f", "v"],
    ["HMSET", "k", "f", "v"],
    ["HSETNX", "k", "f", "v"],
    ["HGET", "k", "f"],
    ["HMGET", "k", "f"],
    ["HDEL", "k", "f"],
    ["HLEN", "k"],
    ["HSTRLEN", "k", "f"],
    ["HEXISTS", "k", "f"],
    ["HGETALL", "k"],
    ["HKEYS", "k"],
    ["HVALS", "k"],
    ["HINCRBY", "k", "f", "1"],
    ["HINCRBYFLOAT", "k", "f", "1"],
    ["HRANDFIELD", "k"],
    ["HRANDFIELD", "k", "2"],
    ["HRANDFIELD", "k", "-2", "WITHVALUES"],
    ["HSCAN", "k", "0"],
  ];
  it.each(commands)("%s against a string", (...command) => {
    const t = createTestStore();
    putRaw(t, "k", "str");
    expectSameReply(
      t.run(...command),
      e("WRONGTYPE", "WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
    t.ok("SADD", "s", "m");
    expectSameReply(t.run(...[command[0] as Arg, "s", ...command.slice(2)]), e("WRONGTYPE"));
  });

  it("argument errors come before the type check, as in Redis", () => {
    const t = createTestStore();
    putRaw(t, "k", "str");
    expectSameReply(t.run("HINCRBY", "k", "f", "x"), e("NOT_INTEGER"));
    expectSameReply(t.run("HINCRBYFLOAT", "k", "f", "x"), e("NOT_FLOAT"));
    expectSameReply(t.run("HRANDFIELD", "k", "x"), e("NOT_INTEGER"));
    expectSameReply(t.run("HRANDFIELD", "k", "1", "x"), e("SYNTAX"));
    expectSameReply(t.run("HSCAN", "k", "x"), e("INVALID_CURSOR"));
  });

  it.each([
    ["HSET", "k"],
    ["HGET", "k"],
    ["HDEL", "k"],
    ["HLEN"],
    ["HINCRBY", "k", "f"],
    ["HSCAN", "k"],
    ["HRANDFIELD"],
  ])("%s with too few arguments is an arity error", (...command) => {
    const t = createTestStore();
    expectSameReply(t.run(...command), e("WRONG_ARITY"));
  });
});

describe("hash commands: events", () => {
  const cases: [name: string, setup: Arg[][], command: Arg[], events: [string, string, string][]][] = [
    ["HSET", [], H("a", "1"), [["hash", "hset", "h"]]],
    ["HSET update", [H("a", "1")], H("a", "2"), [["hash", "hset", "h"]]],
    ["HMSET", [], ["HMSET", "h", "a", "1"], [["hash", "hset", "h"]]],
    ["HSETNX new", [], ["HSETNX", "h", "a", "1"], [["hash", "hset", "h"]]],
    ["HSETNX existing", [H("a", "1")], ["HSETNX", "h", "a", "1"], []],
    ["HDEL one", [H("a", "1", "b", "2")], ["HDEL", "h", "a"], [["hash", "hdel", "h"]]],
    ["HDEL none", [H("a", "1")], ["HDEL", "h", "z"], []],
    [
      "HDEL last empties the key",
      [H("a", "1")],
      ["HDEL", "h", "a"],
      [
        ["hash", "hdel", "h"],
        ["generic", "del", "h"],
      ],
    ],
    ["HINCRBY", [], ["HINCRBY", "h", "n", "1"], [["hash", "hincrby", "h"]]],
    ["HINCRBYFLOAT", [], ["HINCRBYFLOAT", "h", "n", "1"], [["hash", "hincrbyfloat", "h"]]],
    ["HINCRBY failure", [H("n", "x")], ["HINCRBY", "h", "n", "1"], []],
    ["reads emit nothing", [H("a", "1")], ["HGETALL", "h"], []],
  ];
  it.each(cases)("%s", (_name, setup, command, events) => {
    const t = createTestStore();
    for (const c of setup) t.ok(...c);
    t.events.length = 0;
    t.run(...command);
    expect(eventTriples(t)).toEqual(events);
  });
});

describe("hash commands: keyspace and TTL", () => {
  it("HDEL of the last field removes the key", () => {
    const t = createTestStore();
    t.ok("HSET", "h", "a", "1", "b", "2");
    expect(t.ok("HDEL", "h", "a", "b", "c")).toBe(2);
    expect(exists(t, "h")).toBe(false);
    expect(t.ok("HLEN", "h")).toBe(0);
  });

  it("in-place changes keep the TTL", () => {
    const t = createTestStore();
    t.ok("HSET", "h", "a", "1", "b", "2");
    expireIn(t, "h", 10_000);
    const at = deadlineOf(t, "h");
    expect(at).toBe(t.clock.now() + 10_000);
    t.ok("HSET", "h", "c", "3");
    t.ok("HINCRBY", "h", "n", "1");
    t.ok("HINCRBYFLOAT", "h", "x", "1.5");
    t.ok("HDEL", "h", "a");
    t.ok("HSETNX", "h", "d", "4");
    expect(deadlineOf(t, "h")).toBe(at);
  });

  it("an expired hash is missing, and HSET creates a fresh one without TTL", () => {
    const t = createTestStore();
    t.ok("HSET", "h", "a", "1");
    expireIn(t, "h", 1000);
    t.clock.advance(1001);
    expect(t.ok("HGET", "h", "a")).toBe(null);
    expect(t.ok("HLEN", "h")).toBe(0);
    expect(t.ok("HSET", "h", "b", "2")).toBe(1);
    expect(t.ok("HGETALL", "h")).toEqual(["b", "2"]);
    expect(deadlineOf(t, "h")).toBeUndefined();
  });

  it("a failed HINCRBY on a missing key leaves no empty hash behind", () => {
    const t = createTestStore();
    expectSameReply(t.run("HINCRBYFLOAT", "h", "f", "inf"), e("ERR"));
    expect(exists(t, "h")).toBe(false);
  });

  it("TYPE-visible value is a HashValue", () => {
    const t = createTestStore();
    t.ok("HSET", "h", "a", "1");
    const v = peek(t, "h");
    expect(v).toBeInstanceOf(HashValue);
    expect((v as HashValue).type).toBe("hash");
  });

  it("binary fields and values are kept byte for byte", () => {
    const t = createTestStore();
    const field = new Uint8Array([0, 255, 10, 13]);
    const value = new Uint8Array([1, 2, 0, 200]);
    t.ok("HSET", "h", field, value);
    expect(t.ok("HGET", "h", field)).toBe("\x01\x02\x00\xc8");
    expect(t.ok("HKEYS", "h")).toEqual(["\x00\xff\n\r"]);
  });
});

describe("large hashes (indexed)", () => {
  const N = 200;
  function big(): TestStore {
    const t = createTestStore();
    const args: string[] = [];
    for (let i = 0; i < N; i++) args.push(`f${i}`, `v${i}`);
    t.ok("HSET", "h", ...args);
    return t;
  }

  it("gets, deletes and re-adds across the index threshold", () => {
    const t = big();
    expect(t.ok("HLEN", "h")).toBe(N);
    for (let i = 0; i < N; i += 3) expect(t.ok("HDEL", "h", `f${i}`)).toBe(1);
    for (let i = 0; i < N; i++) expect(t.ok("HGET", "h", `f${i}`)).toBe(i % 3 === 0 ? null : `v${i}`);
    const left = N - Math.ceil(N / 3);
    expect(t.ok("HLEN", "h")).toBe(left);
    expect(t.ok("HSET", "h", "f0", "again")).toBe(1);
    expect(t.ok("HGET", "h", "f0")).toBe("again");
    const all = t.ok("HGETALL", "h") as string[];
    expect(all.length).toBe(2 * (left + 1));
    for (let i = 0; i < all.length; i += 2) {
      expect(t.ok("HGET", "h", all[i] as string)).toBe(all[i + 1]);
    }
  });

  it("HRANDFIELD with a positive count returns distinct fields with their values", () => {
    const t = big();
    for (const count of [2, 10, 100, 199]) {
      const reply = t.ok("HRANDFIELD", "h", String(count), "WITHVALUES") as string[];
      expect(reply.length).toBe(2 * count);
      const fields = reply.filter((_, i) => i % 2 === 0);
      expect(new Set(fields).size).toBe(count);
      for (let i = 0; i < reply.length; i += 2) {
        expect((reply[i + 1] as string).slice(1)).toBe((reply[i] as string).slice(1));
      }
    }
  });

  it("HRANDFIELD draws are roughly uniform", () => {
    const t = big();
    const hits = new Map<string, number>();
    const draws = 40_000;
    const reply = t.ok("HRANDFIELD", "h", String(-draws)) as string[];
    expect(reply.length).toBe(draws);
    for (const f of reply) hits.set(f, (hits.get(f) ?? 0) + 1);
    expect(hits.size).toBe(N);
    const expected = draws / N; // 200 per field
    for (const n of hits.values()) {
      expect(n).toBeGreaterThan(expected * 0.6);
      expect(n).toBeLessThan(expected * 1.4);
    }
  });

  it("HRANDFIELD distinct picks are roughly uniform too", () => {
    const t = big();
    const hits = new Map<string, number>();
    for (let i = 0; i < 400; i++) {
      for (const f of t.ok("HRANDFIELD", "h", "50") as string[]) hits.set(f, (hits.get(f) ?? 0) + 1);
    }
    expect(hits.size).toBe(N);
    for (const n of hits.values()) {
      expect(n).toBeGreaterThan(100 * 0.6); // 400 × 50 / 200 = 100 expected
      expect(n).toBeLessThan(100 * 1.4);
    }
  });

  it("HRANDFIELD without count returns a present field", () => {
    const t = big();
    for (let i = 0; i < 50; i++) {
      const f = t.ok("HRANDFIELD", "h") as string;
      expect(t.ok("HEXISTS", "h", f)).toBe(1);
    }
  });

  it("HSCAN pages through every field exactly once", () => {
    const t = big();
    const seen: string[] = [];
    let cursor = "0";
    let calls = 0;
    do {
      const [next, items] = t.ok("HSCAN", "h", cursor, "COUNT", "7") as [string, string[]];
      expect(items.length).toBeLessThanOrEqual(14);
      for (let i = 0; i < items.length; i += 2) {
        seen.push(items[i] as string);
        expect((items[i + 1] as string).slice(1)).toBe((items[i] as string).slice(1));
      }
      cursor = next;
      calls++;
    } while (cursor !== "0");
    expect(calls).toBeGreaterThan(N / 7);
    expect(seen.length).toBe(N);
    expect(new Set(seen).size).toBe(N);
  });

  it("HSCAN with changes during the scan returns every untouched field once, no deleted one after deletion", () => {
    const t = big();
    const seen = new Map<string, number>();
    let [cursor, items] = t.ok("HSCAN", "h", "0", "COUNT", "20", "NOVALUES") as [string, string[]];
    for (const f of items) seen.set(f, (seen.get(f) ?? 0) + 1);
    // Delete some fields not seen yet, add new ones.
    const deleted = new Set<string>();
    for (let i = 0; i < N && deleted.size < 30; i++) {
      const f = `f${i}`;
      if (!seen.has(f)) {
        t.ok("HDEL", "h", f);
        deleted.add(f);
      }
    }
    t.ok("HSET", "h", "new1", "x", "new2", "y");
    while (cursor !== "0") {
      [cursor, items] = t.ok("HSCAN", "h", cursor, "COUNT", "20", "NOVALUES") as [string, string[]];
      for (const f of items) seen.set(f, (seen.get(f) ?? 0) + 1);
    }
    for (let i = 0; i < N; i++) {
      const f = `f${i}`;
      expect(seen.get(f)).toBe(deleted.has(f) ? undefined : 1);
    }
  });

  it("HSCAN returns a small hash whole whatever COUNT says (like a Redis listpack)", () => {
    const t = createTestStore();
    t.ok("HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4");
    expect(t.ok("HSCAN", "h", "0", "COUNT", "1")).toEqual(["0", ["a", "1", "b", "2", "c", "3", "d", "4"]]);
    expect(t.ok("HSCAN", "h", "0", "COUNT", "1", "MATCH", "c")).toEqual(["0", ["c", "3"]]);
  });

  it("a cursor of one key is refused for another", () => {
    const t = big();
    t.ok("HSET", "other", "a", "1");
    const [cursor] = t.ok("HSCAN", "h", "0", "COUNT", "5") as [string, string[]];
    expect(cursor).not.toBe("0");
    expectSameReply(t.run("HSCAN", "other", cursor), e("INVALID_CURSOR"));
  });
});

describe("HashValue", () => {
  it("clone is deep", () => {
    const h = new HashValue();
    for (let i = 0; i < 20; i++) h.set(`f${i}`, `v${i}`);
    const c = h.clone();
    h.set("f0", "changed");
    h.remove("f1");
    expect(c.get("f0")).toBe("v0");
    expect(c.get("f1")).toBe("v1");
    expect(c.size).toBe(20);
    c.remove("f5");
    expect(h.get("f5")).toBe("v5");
  });

  it("reports its encoding and grows its memory estimate", () => {
    const h = new HashValue();
    h.set("a", "1");
    expect(h.encoding).toBe("listpack");
    const small = h.memoryBytes();
    for (let i = 0; i < 40; i++) h.set(`field-${i}`, "x".repeat(100));
    expect(h.encoding).toBe("hashtable");
    expect(h.memoryBytes()).toBeGreaterThan(small + 40 * 100);
  });

  it("get returns the same value as before deleting other fields", () => {
    const h = new HashValue();
    for (let i = 0; i < 30; i++) h.set(`f${i}`, `v${i}`);
    expect(h.remove("f3")).toBe(true);
    expect(h.remove("f3")).toBe(false);
    expect(h.get("f29")).toBe("v29");
    expect(h.flatEntries().length).toBe(58);
  });
});
