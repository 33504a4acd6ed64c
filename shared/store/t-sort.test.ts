import { describe, expect, it } from "vitest";
import { sortScore } from "./t-sort.js";
import { createTestStore, plainError as error, runPlain } from "./testing.js";

/*
 * SORT / SORT_RO, table-driven from Redis 7.0's documented behaviour; the random differential
 * against redis-server is test/redis-compat/sort-differential.test.ts.
 */

const CONVERT = error("ERR One or more scores can't be converted into double");
const list = (...els: string[]) => ["RPUSH", "l", ...els];

describe("SORT replies (table)", () => {
  const cases: [name: string, commands: string[][], expected: unknown][] = [
    ["numeric", [list("3", "1", "2"), ["SORT", "l"]], ["1", "2", "3"]],
    ["numeric DESC", [list("3", "1", "2"), ["SORT", "l", "DESC"]], ["3", "2", "1"]],
    ["equal scores by bytes", [list("1.0", "1", "01"), ["SORT", "l"]], ["01", "1", "1.0"]],
    [
      "strtod: spaces, hex, inf",
      [list(" 2", "0x10", "-inf", "inf", ""), ["SORT", "l"]],
      ["-inf", "", " 2", "0x10", "inf"],
    ],
    ["a word is not a number", [list("a", "1"), ["SORT", "l"]], CONVERT],
    ["trailing space is not a number", [list("1 "), ["SORT", "l"]], CONVERT],
    ["nan is refused", [list("nan"), ["SORT", "l"]], CONVERT],
    ["overflow is refused (ERANGE)", [list("1e400"), ["SORT", "l"]], CONVERT],
    ["underflow is refused (ERANGE)", [list("1e-400"), ["SORT", "l"]], CONVERT],
    ["ALPHA", [list("b", "a", "C"), ["SORT", "l", "ALPHA"]], ["C", "a", "b"]],
    ["LIMIT", [list("5", "4", "3", "2", "1"), ["SORT", "l", "LIMIT", "1", "2"]], ["2", "3"]],
    ["LIMIT past the end", [list("1", "2"), ["SORT", "l", "LIMIT", "5", "2"]], []],
    ["LIMIT negative count: to the end", [list("3", "1", "2"), ["SORT", "l", "LIMIT", "1", "-1"]], ["2", "3"]],
    [
      "LIMIT not a number",
      [list("1"), ["SORT", "l", "LIMIT", "x", "1"]],
      error("ERR value is not an integer or out of range"),
    ],
    ["LIMIT missing count", [list("1"), ["SORT", "l", "LIMIT", "1"]], error("ERR syntax error")],
    ["BY weights", [list("a", "b"), ["SET", "w_a", "2"], ["SET", "w_b", "1"], ["SORT", "l", "BY", "w_*"]], ["b", "a"]],
    ["BY missing weights count as 0", [list("a", "b"), ["SET", "w_a", "-1"], ["SORT", "l", "BY", "w_*"]], ["a", "b"]],
    [
      "BY hash field",
      [list("a", "b"), ["HSET", "h_a", "f", "9"], ["HSET", "h_b", "f", "3"], ["SORT", "l", "BY", "h_*->f"]],
      ["b", "a"],
    ],
    ["BY nosort keeps list order", [list("3", "1", "2"), ["SORT", "l", "BY", "nosort"]], ["3", "1", "2"]],
    [
      "BY nosort DESC LIMIT on a list",
      [list("a", "b", "c", "d"), ["SORT", "l", "BY", "nosort", "DESC", "LIMIT", "1", "2"]],
      ["c", "b"],
    ],
    ["BY nosort sticks after a later BY", [list("3", "1"), ["SORT", "l", "BY", "nosort", "BY", "w_*"]], ["3", "1"]],
    [
      "GET # and patterns",
      [
        list("a", "b"),
        ["SET", "d_a", "x"],
        ["HSET", "h_b", "f", "y"],
        ["SORT", "l", "ALPHA", "GET", "#", "GET", "d_*", "GET", "h_*->f"],
      ],
      ["a", "x", null, "b", null, "y"],
    ],
    ["GET without * is nil", [list("a"), ["SORT", "l", "ALPHA", "GET", "nokey"]], [null]],
    [
      "a set",
      [
        ["SADD", "s", "3", "1", "2"],
        ["SORT", "s"],
      ],
      ["1", "2", "3"],
    ],
    [
      "a sorted set by nosort: score order",
      [
        ["ZADD", "z", "1", "c", "2", "b", "3", "a"],
        ["SORT", "z", "BY", "nosort", "DESC"],
      ],
      ["a", "b", "c"],
    ],
    ["a missing key", [["SORT", "nope"]], []],
    [
      "a string",
      [
        ["SET", "k", "v"],
        ["SORT", "k"],
      ],
      error("WRONGTYPE Operation against a key holding the wrong kind of value"),
    ],
    [
      "options before the type check",
      [
        ["SET", "k", "v"],
        ["SORT", "k", "BOGUS"],
      ],
      error("ERR syntax error"),
    ],
    [
      "STORE counts and stores a list",
      [list("2", "1"), ["SORT", "l", "STORE", "d"], ["LRANGE", "d", "0", "-1"]],
      ["1", "2"],
    ],
    [
      "STORE of GET: nil as empty",
      [list("a"), ["SORT", "l", "ALPHA", "GET", "x_*", "STORE", "d"], ["LRANGE", "d", "0", "-1"]],
      [""],
    ],
    [
      "STORE of nothing deletes",
      [
        ["SET", "d", "x"],
        ["SORT", "nope", "STORE", "d"],
        ["EXISTS", "d"],
      ],
      0,
    ],
    ["SORT_RO has no STORE", [list("1"), ["SORT_RO", "l", "STORE", "d"]], error("ERR syntax error")],
  ];
  for (const [name, commands, expected] of cases) {
    it(name, () => {
      expect(runPlain(createTestStore(), ...commands)).toEqual(expected);
    });
  }
});

describe("SORT details", () => {
  it("strtod's rules", () => {
    expect(sortScore("1e-310").ok).toBe(false); // subnormal: glibc's ERANGE
    expect(sortScore("0x1.8p1")).toEqual({ score: 3, ok: true });
    expect(sortScore("12\0junk")).toEqual({ score: 12, ok: true }); // a C string ends at NUL
    expect(sortScore("   ").ok).toBe(false);
    expect(sortScore("infinity")).toEqual({ score: Infinity, ok: true });
  });

  it("STORE replaces the destination's TTL and type, notifies sortstore", () => {
    const t = createTestStore();
    t.ok("RPUSH", "l", "2", "1");
    t.ok("SET", "d", "x", "EX", "100");
    t.events.length = 0;
    expect(t.run("SORT", "l", "STORE", "d")).toBe(2);
    expect(t.run("TTL", "d")).toBe(-1);
    expect(t.run("TYPE", "d")).toMatchObject({ text: "list" });
    expect(t.events.map((e) => `${e.event}:${e.key}`)).toEqual(["sortstore:d"]);
  });
});
