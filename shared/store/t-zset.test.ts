import { describe, expect, it } from "vitest";
import type { Reply } from "./reply.js";
import { SetValue } from "./set-value.js";
import { zsetCommands } from "./t-zset.js";
import {
  createTestStore,
  deadlineOf,
  plainError as error,
  expireIn,
  peek,
  plainReply,
  putRaw,
  runPlain,
  seededRandom,
  type TestStore,
} from "./testing.js";
import type { ZSetValue } from "./zset-value.js";

const eventsOf = (t: TestStore) => t.events.map((e) => `${e.class}:${e.event}:${e.key}`);

/** `z` = a:1 b:2 c:3 d:4 e:5. */
const Z = ["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"];
/** `l` = a aa b c d e (all score 0). */
const L = ["ZADD", "l", "0", "a", "0", "aa", "0", "b", "0", "c", "0", "d", "0", "e"];
const NOT_FLOAT = error("ERR value is not a valid float");
const NOT_INT = error("ERR value is not an integer or out of range");
const SYNTAX = error("ERR syntax error");
const RANGE_NOT_FLOAT = error("ERR min or max is not a float");
const LEX_INVALID = error("ERR min or max not valid string range item");

type Case = [name: string, commands: string[][], expected: unknown];

describe("ZADD and ZINCRBY", () => {
  const cases: Case[] = [
    ["adds new members", [["ZADD", "z", "1", "a", "2", "b"]], 2],
    [
      "a repeated member counts once",
      [
        ["ZADD", "z", "1", "a", "2", "a"],
        ["ZSCORE", "z", "a"],
      ],
      "2",
    ],
    ["updating counts 0 without CH", [Z, ["ZADD", "z", "9", "a", "6", "f"]], 1],
    ["CH counts updates", [Z, ["ZADD", "z", "CH", "9", "a", "1", "b", "6", "f", "2", "b"]], 4],
    ["same score is not a change", [Z, ["ZADD", "z", "CH", "1", "a"]], 0],
    ["NX never updates", [Z, ["ZADD", "z", "NX", "9", "a", "6", "f"], ["ZSCORE", "z", "a"]], "1"],
    ["XX never adds", [Z, ["ZADD", "z", "XX", "CH", "9", "a", "6", "f"]], 1],
    [
      "XX on a missing key creates nothing",
      [
        ["ZADD", "z", "XX", "1", "a"],
        ["EXISTS", "z"],
      ],
      0,
    ],
    [
      "GT only raises",
      [Z, ["ZADD", "z", "GT", "CH", "0", "a", "9", "b"], ["ZRANGE", "z", "0", "-1"]],
      ["a", "c", "d", "e", "b"],
    ],
    ["GT still adds new members", [Z, ["ZADD", "z", "GT", "0", "new"]], 1],
    ["LT only lowers", [Z, ["ZADD", "z", "LT", "CH", "0", "a", "9", "b"]], 1],
    ["XX GT combine", [Z, ["ZADD", "z", "XX", "GT", "CH", "9", "a", "0", "b", "1", "zz"]], 1],
    ["options are case-insensitive", [Z, ["ZADD", "z", "nx", "ch", "9", "q"]], 1],
    [
      "NX XX conflict",
      [["ZADD", "z", "NX", "XX", "1", "a"]],
      error("ERR XX and NX options at the same time are not compatible"),
    ],
    [
      "GT LT conflict",
      [["ZADD", "z", "GT", "LT", "1", "a"]],
      error("ERR GT, LT, and/or NX options at the same time are not compatible"),
    ],
    [
      "NX GT conflict",
      [["ZADD", "z", "NX", "GT", "1", "a"]],
      error("ERR GT, LT, and/or NX options at the same time are not compatible"),
    ],
    [
      "INCR takes one pair",
      [["ZADD", "z", "INCR", "1", "a", "2", "b"]],
      error("ERR INCR option supports a single increment-element pair"),
    ],
    ["odd score-member list", [["ZADD", "z", "1", "a", "2"]], SYNTAX],
    ["options only", [["ZADD", "z", "NX", "CH"]], SYNTAX],
    ["options without pairs", [["ZADD", "z", "NX", "CH", "1"]], SYNTAX],
    ["bad score", [["ZADD", "z", "x", "a"]], NOT_FLOAT],
    ["NaN score", [["ZADD", "z", "nan", "a"]], NOT_FLOAT],
    ["overflowing score", [["ZADD", "z", "1e400", "a"]], NOT_FLOAT],
    ["underflowing score", [["ZADD", "z", "1e-400", "a"]], NOT_FLOAT],
    ["leading space", [["ZADD", "z", " 1", "a"]], NOT_FLOAT],
    ["trailing space", [["ZADD", "z", "1 ", "a"]], NOT_FLOAT],
    ["empty score", [["ZADD", "z", "", "a"]], NOT_FLOAT],
    [
      "hex score",
      [
        ["ZADD", "z", "0x10", "a"],
        ["ZSCORE", "z", "a"],
      ],
      "16",
    ],
    [
      "exponent score",
      [
        ["ZADD", "z", "1.5e3", "a"],
        ["ZSCORE", "z", "a"],
      ],
      "1500",
    ],
    [
      "infinite scores",
      [
        ["ZADD", "z", "+inf", "a", "-INF", "b"],
        ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
      ],
      ["b", "-inf", "a", "inf"],
    ],
    [
      "-0 is stored as 0",
      [
        ["ZADD", "z", "-0", "a"],
        ["ZSCORE", "z", "a"],
      ],
      "0",
    ],
    ["INCR replies the new score", [Z, ["ZADD", "z", "INCR", "2.5", "a"]], "3.5"],
    ["INCR on a new member", [["ZADD", "z", "INCR", "2", "a"]], "2"],
    ["INCR with NX on an existing member is nil", [Z, ["ZADD", "z", "NX", "INCR", "1", "a"]], null],
    ["INCR with XX on a missing key is nil", [["ZADD", "z", "XX", "INCR", "1", "a"]], null],
    ["INCR with GT that would lower is nil", [Z, ["ZADD", "z", "GT", "INCR", "-1", "a"]], null],
    [
      "INCR to NaN",
      [
        ["ZADD", "z", "inf", "a"],
        ["ZADD", "z", "INCR", "-inf", "a"],
      ],
      error("ERR resulting score is not a number (NaN)"),
    ],
    ["ZINCRBY", [Z, ["ZINCRBY", "z", "10", "a"]], "11"],
    [
      "ZINCRBY creates",
      [
        ["ZINCRBY", "z", "-1.5", "a"],
        ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
      ],
      ["a", "-1.5"],
    ],
    [
      "ZINCRBY to NaN",
      [
        ["ZADD", "z", "inf", "a"],
        ["ZINCRBY", "z", "-inf", "a"],
      ],
      error("ERR resulting score is not a number (NaN)"),
    ],
    [
      "ZINCRBY NaN leaves the score",
      [
        ["ZADD", "z", "inf", "a"],
        ["ZINCRBY", "z", "-inf", "a"],
      ],
      error("ERR resulting score is not a number (NaN)"),
    ],
    ["ZINCRBY bad increment", [["ZINCRBY", "z", "abc", "a"]], NOT_FLOAT],
    ["ZINCRBY parses options like ZADD", [["ZINCRBY", "z", "nx", "a"]], SYNTAX],
  ];
  it.each(cases)("%s", (_name, commands, expected) => {
    expect(runPlain(createTestStore(), ...commands)).toEqual(expected);
  });

  it("a bad score anywhere changes nothing", () => {
    const t = createTestStore();
    expect(plainReply(t.run("ZADD", "z", "1", "a", "x", "b"))).toEqual(NOT_FLOAT);
    expect(t.ok("ZCARD", "z")).toBe(0);
    expect(t.events).toEqual([]);
  });
});

describe("reads", () => {
  const cases: Case[] = [
    ["ZSCORE", [Z, ["ZSCORE", "z", "c"]], "3"],
    ["ZSCORE missing member", [Z, ["ZSCORE", "z", "x"]], null],
    ["ZSCORE missing key", [["ZSCORE", "z", "a"]], null],
    [
      "ZSCORE formats doubles",
      [
        ["ZADD", "z", "0.25", "a"],
        ["ZSCORE", "z", "a"],
      ],
      "0.25",
    ],
    ["ZMSCORE", [Z, ["ZMSCORE", "z", "a", "x", "e"]], ["1", null, "5"]],
    ["ZMSCORE missing key", [["ZMSCORE", "z", "a", "b"]], [null, null]],
    ["ZCARD", [Z, ["ZCARD", "z"]], 5],
    ["ZCARD missing key", [["ZCARD", "z"]], 0],
    ["ZRANK", [Z, ["ZRANK", "z", "c"]], 2],
    ["ZREVRANK", [Z, ["ZREVRANK", "z", "c"]], 2],
    ["ZREVRANK first", [Z, ["ZREVRANK", "z", "e"]], 0],
    ["ZRANK missing member", [Z, ["ZRANK", "z", "x"]], null],
    ["ZRANK missing key", [["ZRANK", "z", "x"]], null],
    ["ZRANK WITHSCORE", [Z, ["ZRANK", "z", "d", "withscore"]], [3, "4"]],
    ["ZREVRANK WITHSCORE", [Z, ["ZREVRANK", "z", "d", "WITHSCORE"]], [1, "4"]],
    ["ZRANK WITHSCORE missing member", [Z, ["ZRANK", "z", "x", "WITHSCORE"]], null],
    ["ZRANK bad option", [Z, ["ZRANK", "z", "a", "WITHSCORES"]], SYNTAX],
    [
      "ZRANK too many arguments",
      [Z, ["ZRANK", "z", "a", "WITHSCORE", "x"]],
      error("ERR wrong number of arguments for 'zrank' command"),
    ],
    [
      "ties order by member bytes",
      [
        ["ZADD", "z", "1", "b", "1", "a", "1", "B"],
        ["ZRANGE", "z", "0", "-1"],
      ],
      ["B", "a", "b"],
    ],
    ["ZCOUNT all", [Z, ["ZCOUNT", "z", "-inf", "+inf"]], 5],
    ["ZCOUNT inclusive", [Z, ["ZCOUNT", "z", "2", "4"]], 3],
    ["ZCOUNT exclusive", [Z, ["ZCOUNT", "z", "(2", "(4"]], 1],
    ["ZCOUNT exclusive equal bounds", [Z, ["ZCOUNT", "z", "(2", "2"]], 0],
    ["ZCOUNT inverted", [Z, ["ZCOUNT", "z", "4", "2"]], 0],
    [
      "ZCOUNT (inf",
      [
        ["ZADD", "z", "inf", "a", "1", "b"],
        ["ZCOUNT", "z", "(1", "(inf"],
      ],
      0,
    ],
    ["ZCOUNT empty string is 0 (strtod)", [Z, ["ZADD", "z", "0", "zero"], ["ZCOUNT", "z", "", "1"]], 2],
    ["ZCOUNT bare ( is exclusive 0", [Z, ["ZADD", "z", "0", "zero"], ["ZCOUNT", "z", "(", "1"]], 1],
    ["ZCOUNT leading space is fine", [Z, ["ZCOUNT", "z", " 2", "3"]], 2],
    ["ZCOUNT hex bound", [Z, ["ZCOUNT", "z", "0x2", "0x1p2"]], 3],
    ["ZCOUNT overflow is inf", [Z, ["ZCOUNT", "z", "-1e400", "1e400"]], 5],
    ["ZCOUNT trailing space", [Z, ["ZCOUNT", "z", "1 ", "3"]], RANGE_NOT_FLOAT],
    ["ZCOUNT nan", [Z, ["ZCOUNT", "z", "nan", "3"]], RANGE_NOT_FLOAT],
    ["ZCOUNT garbage", [Z, ["ZCOUNT", "z", "1", "(x"]], RANGE_NOT_FLOAT],
    ["ZCOUNT missing key", [["ZCOUNT", "z", "0", "1"]], 0],
    ["ZCOUNT bad range before the key", [["ZCOUNT", "z", "x", "1"]], RANGE_NOT_FLOAT],
    ["ZLEXCOUNT all", [L, ["ZLEXCOUNT", "l", "-", "+"]], 6],
    ["ZLEXCOUNT inclusive", [L, ["ZLEXCOUNT", "l", "[a", "[b"]], 3],
    ["ZLEXCOUNT exclusive", [L, ["ZLEXCOUNT", "l", "(a", "(c"]], 2],
    ["ZLEXCOUNT + -", [L, ["ZLEXCOUNT", "l", "+", "-"]], 0],
    ["ZLEXCOUNT empty member", [L, ["ZLEXCOUNT", "l", "[", "(b"]], 2],
    ["ZLEXCOUNT invalid", [L, ["ZLEXCOUNT", "l", "a", "+"]], LEX_INVALID],
    ["ZLEXCOUNT invalid +x", [L, ["ZLEXCOUNT", "l", "-", "+x"]], LEX_INVALID],
    ["ZLEXCOUNT missing key", [["ZLEXCOUNT", "l", "-", "+"]], 0],
  ];
  it.each(cases)("%s", (_name, commands, expected) => {
    expect(runPlain(createTestStore(), ...commands)).toEqual(expected);
  });
});

describe("ZRANGE family", () => {
  const cases: Case[] = [
    ["by index", [Z, ["ZRANGE", "z", "1", "2"]], ["b", "c"]],
    ["negative indexes", [Z, ["ZRANGE", "z", "-2", "-1"]], ["d", "e"]],
    ["clamped indexes", [Z, ["ZRANGE", "z", "-100", "100"]], ["a", "b", "c", "d", "e"]],
    ["huge indexes", [Z, ["ZRANGE", "z", "3", "9223372036854775807"]], ["d", "e"]],
    ["start past the end", [Z, ["ZRANGE", "z", "5", "10"]], []],
    ["start after stop", [Z, ["ZRANGE", "z", "3", "1"]], []],
    ["WITHSCORES", [Z, ["ZRANGE", "z", "0", "1", "WITHSCORES"]], ["a", "1", "b", "2"]],
    ["REV", [Z, ["ZRANGE", "z", "0", "1", "REV", "WITHSCORES"]], ["e", "5", "d", "4"]],
    ["ZREVRANGE", [Z, ["ZREVRANGE", "z", "-2", "-1"]], ["b", "a"]],
    ["bad index", [Z, ["ZRANGE", "z", "a", "1"]], NOT_INT],
    ["missing key", [["ZRANGE", "z", "0", "-1"]], []],
    [
      "LIMIT needs BYSCORE or BYLEX",
      [Z, ["ZRANGE", "z", "0", "-1", "LIMIT", "0", "1"]],
      error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"),
    ],
    ["LIMIT x -1 with an index range passes", [Z, ["ZRANGE", "z", "0", "0", "LIMIT", "5", "-1"]], ["a"]],
    [
      "WITHSCORES with BYLEX",
      [L, ["ZRANGE", "l", "-", "+", "BYLEX", "WITHSCORES"]],
      error("ERR syntax error, WITHSCORES not supported in combination with BYLEX"),
    ],
    ["REV twice", [Z, ["ZRANGE", "z", "0", "-1", "REV", "REV"]], SYNTAX],
    ["BYSCORE and BYLEX", [Z, ["ZRANGE", "z", "0", "-1", "BYSCORE", "BYLEX"]], SYNTAX],
    ["unknown option", [Z, ["ZRANGE", "z", "0", "-1", "foo"]], SYNTAX],
    ["LIMIT with one number", [Z, ["ZRANGE", "z", "0", "-1", "BYSCORE", "LIMIT", "1"]], SYNTAX],
    ["LIMIT not a number", [Z, ["ZRANGE", "z", "0", "-1", "BYSCORE", "LIMIT", "x", "1"]], NOT_INT],
    ["ZREVRANGE takes no REV", [Z, ["ZREVRANGE", "z", "0", "-1", "REV"]], SYNTAX],
    ["BYSCORE", [Z, ["ZRANGE", "z", "(1", "3", "BYSCORE", "WITHSCORES"]], ["b", "2", "c", "3"]],
    ["BYSCORE REV takes max first", [Z, ["ZRANGE", "z", "3", "(1", "BYSCORE", "REV"]], ["c", "b"]],
    ["BYSCORE LIMIT", [Z, ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "2"]], ["b", "c"]],
    [
      "BYSCORE LIMIT negative count is all",
      [Z, ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "3", "-1"]],
      ["d", "e"],
    ],
    ["BYSCORE LIMIT negative offset is empty", [Z, ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "-1", "5"]], []],
    ["BYSCORE LIMIT offset past the end", [Z, ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "5", "5"]], []],
    ["BYSCORE LIMIT count 0", [Z, ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "0", "0"]], []],
    ["BYSCORE LIMIT stops at the bound", [Z, ["ZRANGE", "z", "1", "3", "BYSCORE", "LIMIT", "2", "10"]], ["c"]],
    ["ZRANGEBYSCORE", [Z, ["ZRANGEBYSCORE", "z", "-inf", "(3", "WITHSCORES"]], ["a", "1", "b", "2"]],
    [
      "ZRANGEBYSCORE LIMIT then WITHSCORES",
      [Z, ["ZRANGEBYSCORE", "z", "2", "5", "LIMIT", "1", "1", "WITHSCORES"]],
      ["c", "3"],
    ],
    ["ZRANGEBYSCORE takes no REV", [Z, ["ZRANGEBYSCORE", "z", "1", "2", "REV"]], SYNTAX],
    ["ZRANGEBYSCORE takes no BYSCORE", [Z, ["ZRANGEBYSCORE", "z", "1", "2", "BYSCORE"]], SYNTAX],
    ["ZREVRANGEBYSCORE", [Z, ["ZREVRANGEBYSCORE", "z", "+inf", "(3"]], ["e", "d"]],
    ["ZREVRANGEBYSCORE LIMIT", [Z, ["ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", "1", "2"]], ["d", "c"]],
    ["ZREVRANGEBYSCORE LIMIT past the start", [Z, ["ZREVRANGEBYSCORE", "z", "3", "-inf", "LIMIT", "3", "2"]], []],
    ["ZRANGEBYSCORE bad bound", [Z, ["ZRANGEBYSCORE", "z", "x", "1"]], RANGE_NOT_FLOAT],
    ["BYLEX", [L, ["ZRANGE", "l", "[aa", "(d", "BYLEX"]], ["aa", "b", "c"]],
    ["BYLEX REV", [L, ["ZRANGE", "l", "(d", "[aa", "BYLEX", "REV"]], ["c", "b", "aa"]],
    ["ZRANGEBYLEX LIMIT", [L, ["ZRANGEBYLEX", "l", "-", "+", "LIMIT", "2", "2"]], ["b", "c"]],
    ["ZRANGEBYLEX exclusive equal", [L, ["ZRANGEBYLEX", "l", "(b", "[b"]], []],
    ["ZRANGEBYLEX prefix", [L, ["ZRANGEBYLEX", "l", "[a", "(b"]], ["a", "aa"]],
    ["ZREVRANGEBYLEX", [L, ["ZREVRANGEBYLEX", "l", "+", "[c"]], ["e", "d", "c"]],
    ["ZREVRANGEBYLEX LIMIT", [L, ["ZREVRANGEBYLEX", "l", "+", "-", "LIMIT", "1", "2"]], ["d", "c"]],
    [
      "ZRANGEBYLEX WITHSCORES",
      [L, ["ZRANGEBYLEX", "l", "-", "+", "WITHSCORES"]],
      error("ERR syntax error, WITHSCORES not supported in combination with BYLEX"),
    ],
    ["ZRANGEBYLEX invalid", [L, ["ZRANGEBYLEX", "l", "b", "+"]], LEX_INVALID],
    [
      "binary members order by bytes",
      [
        ["ZADD", "l", "0", "\u00e9", "0", "z", "0", "A"],
        ["ZRANGEBYLEX", "l", "(z", "+"],
      ],
      ["\u00c3\u00a9"],
    ],
  ];
  it.each(cases)("%s", (_name, commands, expected) => {
    expect(runPlain(createTestStore(), ...commands)).toEqual(expected);
  });
});

describe("removal", () => {
  const cases: Case[] = [
    ["ZREM", [Z, ["ZREM", "z", "a", "x", "a", "c"]], 2],
    ["ZREM missing key", [["ZREM", "z", "a"]], 0],
    [
      "ZREM last member deletes the key",
      [
        ["ZADD", "z", "1", "a"],
        ["ZREM", "z", "a"],
        ["EXISTS", "z"],
      ],
      0,
    ],
    ["ZREMRANGEBYRANK", [Z, ["ZREMRANGEBYRANK", "z", "1", "-2"], ["ZRANGE", "z", "0", "-1"]], ["a", "e"]],
    ["ZREMRANGEBYRANK count", [Z, ["ZREMRANGEBYRANK", "z", "-3", "100"]], 3],
    ["ZREMRANGEBYRANK empty range", [Z, ["ZREMRANGEBYRANK", "z", "3", "1"]], 0],
    ["ZREMRANGEBYRANK bad index", [Z, ["ZREMRANGEBYRANK", "z", "x", "1"]], NOT_INT],
    ["ZREMRANGEBYRANK all deletes the key", [Z, ["ZREMRANGEBYRANK", "z", "0", "-1"], ["EXISTS", "z"]], 0],
    ["ZREMRANGEBYSCORE", [Z, ["ZREMRANGEBYSCORE", "z", "(1", "3"], ["ZRANGE", "z", "0", "-1"]], ["a", "d", "e"]],
    ["ZREMRANGEBYSCORE nothing", [Z, ["ZREMRANGEBYSCORE", "z", "10", "20"]], 0],
    ["ZREMRANGEBYSCORE bad bound", [Z, ["ZREMRANGEBYSCORE", "z", "1", "y"]], RANGE_NOT_FLOAT],
    ["ZREMRANGEBYLEX", [L, ["ZREMRANGEBYLEX", "l", "[aa", "(c"], ["ZRANGE", "l", "0", "-1"]], ["a", "c", "d", "e"]],
    ["ZREMRANGEBYLEX all", [L, ["ZREMRANGEBYLEX", "l", "-", "+"]], 6],
    ["ZREMRANGEBYLEX invalid", [L, ["ZREMRANGEBYLEX", "l", "x", "+"]], LEX_INVALID],
    ["ZREMRANGEBYSCORE missing key", [["ZREMRANGEBYSCORE", "z", "0", "1"]], 0],
    ["ZPOPMIN", [Z, ["ZPOPMIN", "z"]], ["a", "1"]],
    ["ZPOPMAX count", [Z, ["ZPOPMAX", "z", "2"]], ["e", "5", "d", "4"]],
    ["ZPOPMIN count past the size", [Z, ["ZPOPMIN", "z", "10"], ["EXISTS", "z"]], 0],
    ["ZPOPMIN count 0", [Z, ["ZPOPMIN", "z", "0"]], []],
    ["ZPOPMIN negative count", [Z, ["ZPOPMIN", "z", "-1"]], error("ERR value is out of range, must be positive")],
    ["ZPOPMIN bad count", [Z, ["ZPOPMIN", "z", "x"]], error("ERR value is out of range, must be positive")],
    ["ZPOPMIN too many arguments", [Z, ["ZPOPMIN", "z", "1", "2"]], SYNTAX],
    ["ZPOPMIN missing key", [["ZPOPMIN", "z"]], []],
  ];
  it.each(cases)("%s", (_name, commands, expected) => {
    expect(runPlain(createTestStore(), ...commands)).toEqual(expected);
  });
});

describe("ZRANGESTORE", () => {
  it.each<Case>([
    [
      "stores by index",
      [Z, ["ZRANGESTORE", "d", "z", "1", "2"], ["ZRANGE", "d", "0", "-1", "WITHSCORES"]],
      ["b", "2", "c", "3"],
    ],
    [
      "stores by score with LIMIT",
      [Z, ["ZRANGESTORE", "d", "z", "5", "1", "BYSCORE", "REV", "LIMIT", "1", "2"], ["ZRANGE", "d", "0", "-1"]],
      ["c", "d"],
    ],
    ["stores by lex", [L, ["ZRANGESTORE", "d", "l", "[b", "+", "BYLEX"], ["ZCARD", "d"]], 4],
    ["replies the count", [Z, ["ZRANGESTORE", "d", "z", "0", "-1"]], 5],
    ["takes no WITHSCORES", [Z, ["ZRANGESTORE", "d", "z", "0", "-1", "WITHSCORES"]], SYNTAX],
    [
      "an empty result deletes the destination",
      [Z, ["ZADD", "d", "1", "x"], ["ZRANGESTORE", "d", "z", "10", "20"], ["EXISTS", "d"]],
      0,
    ],
    [
      "a missing source deletes the destination",
      [
        ["ZADD", "d", "1", "x"],
        ["ZRANGESTORE", "d", "nope", "0", "-1"],
      ],
      0,
    ],
    ["may store onto its source", [Z, ["ZRANGESTORE", "z", "z", "0", "1"], ["ZRANGE", "z", "0", "-1"]], ["a", "b"]],
  ])("%s", (_name, commands, expected) => {
    expect(runPlain(createTestStore(), ...commands)).toEqual(expected);
  });

  it("overwrites a destination of another type and clears its TTL", () => {
    const t = createTestStore();
    putRaw(t, "d", "string");
    expireIn(t, "d", 10_000);
    t.ok(...Z);
    expect(t.run("ZRANGESTORE", "d", "z", "0", "0")).toBe(1);
    expect(deadlineOf(t, "d")).toBeUndefined();
    expect(plainReply(t.run("ZRANGE", "d", "0", "-1"))).toEqual(["a"]);
  });

  it("checks the source's type, not the destination's", () => {
    const t = createTestStore();
    putRaw(t, "s", "string");
    expect(plainReply(t.run("ZRANGESTORE", "d", "s", "0", "-1"))).toEqual(
      error("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
  });
});

describe("ZRANDMEMBER", () => {
  const members = (r: Reply) => (r as string[]).filter((_, i) => i % 2 === 0);

  it.each<Case>([
    ["missing key without count", [["ZRANDMEMBER", "z"]], null],
    ["missing key with count", [["ZRANDMEMBER", "z", "3"]], []],
    ["count 0", [Z, ["ZRANDMEMBER", "z", "0"]], []],
    ["count past the size returns all, highest first", [Z, ["ZRANDMEMBER", "z", "10"]], ["e", "d", "c", "b", "a"]],
    [
      "all WITHSCORES",
      [Z, ["ZRANDMEMBER", "z", "5", "WITHSCORES"]],
      ["e", "5", "d", "4", "c", "3", "b", "2", "a", "1"],
    ],
    ["bad count", [Z, ["ZRANDMEMBER", "z", "x"]], NOT_INT],
    ["bad option", [Z, ["ZRANDMEMBER", "z", "1", "WITHSCORE"]], SYNTAX],
    ["too many arguments", [Z, ["ZRANDMEMBER", "z", "1", "WITHSCORES", "x"]], SYNTAX],
    [
      "LONG_MIN count",
      [Z, ["ZRANDMEMBER", "z", "-9223372036854775808"]],
      error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"),
    ],
    [
      "WITHSCORES count overflow",
      [Z, ["ZRANDMEMBER", "z", "9223372036854775807", "WITHSCORES"]],
      error("ERR value is out of range"),
    ],
  ])("%s", (_name, commands, expected) => {
    expect(runPlain(createTestStore(), ...commands)).toEqual(expected);
  });

  it("without count returns one member", () => {
    const t = createTestStore();
    t.ok(...Z);
    for (let i = 0; i < 20; i++) expect(["a", "b", "c", "d", "e"]).toContain(t.ok("ZRANDMEMBER", "z"));
  });

  it.each([1, 2, 3, 4])("positive count %i gives distinct members with their scores", (count) => {
    const t = createTestStore();
    t.ok(...Z);
    for (let round = 0; round < 20; round++) {
      const reply = t.ok("ZRANDMEMBER", "z", String(count), "WITHSCORES") as string[];
      const picked = members(reply);
      expect(picked).toHaveLength(count);
      expect(new Set(picked).size).toBe(count);
      for (let i = 0; i < reply.length; i += 2) {
        expect(t.ok("ZSCORE", "z", reply[i] as string)).toBe(reply[i + 1]);
      }
    }
  });

  it("picks distinct members from a large set (sparse sampling)", () => {
    const t = createTestStore();
    const args: string[] = [];
    for (let i = 0; i < 1000; i++) args.push(String(i), `m${i}`);
    t.ok("ZADD", "z", ...args);
    const picked = t.ok("ZRANDMEMBER", "z", "50") as string[];
    expect(new Set(picked).size).toBe(50);
  });

  it("negative count allows repeats and covers every member", () => {
    const t = createTestStore();
    t.ok("ZADD", "z", "1", "a", "2", "b", "3", "c");
    const picked = t.ok("ZRANDMEMBER", "z", "-300") as string[];
    expect(picked).toHaveLength(300);
    expect(new Set(picked)).toEqual(new Set(["a", "b", "c"]));
    expect(t.ok("ZRANDMEMBER", "z", "-2", "WITHSCORES")).toHaveLength(4);
  });

  it("is reproducible with a seeded random source", () => {
    const pick = () => {
      const t = createTestStore({ random: seededRandom(9) });
      t.ok(...Z);
      return t.ok("ZRANDMEMBER", "z", "-10");
    };
    expect(pick()).toEqual(pick());
  });
});

describe("ZSCAN", () => {
  it("returns a small set whole", () => {
    const t = createTestStore();
    t.ok(...Z);
    const [cursor, items] = t.ok("ZSCAN", "z", "0") as [string, string[]];
    expect(cursor).toBe("0");
    expect(items).toEqual(["a", "1", "b", "2", "c", "3", "d", "4", "e", "5"]);
  });

  it("visits every member of a large set exactly once, with MATCH", () => {
    const t = createTestStore();
    const args: string[] = [];
    for (let i = 0; i < 500; i++) args.push(String(i / 2), `m${i}`);
    t.ok("ZADD", "z", ...args);
    const seen = new Map<string, string>();
    let cursor = "0";
    let pages = 0;
    do {
      const [next, items] = t.ok("ZSCAN", "z", cursor, "COUNT", "20", "MATCH", "m1*") as [string, string[]];
      for (let i = 0; i < items.length; i += 2) {
        expect(seen.has(items[i] as string)).toBe(false);
        seen.set(items[i] as string, items[i + 1] as string);
      }
      cursor = next;
      pages++;
    } while (cursor !== "0");
    expect(pages).toBeGreaterThan(1);
    expect(seen.size).toBe(111); // m1, m10–m19, m100–m199
    expect(seen.get("m101")).toBe("50.5");
  });

  it.each<Case>([
    ["missing key", [["ZSCAN", "z", "0"]], ["0", []]],
    ["bad cursor", [["ZSCAN", "z", "x"]], error("ERR invalid cursor")],
    ["COUNT 0", [Z, ["ZSCAN", "z", "0", "COUNT", "0"]], SYNTAX],
    ["unknown option", [Z, ["ZSCAN", "z", "0", "NOVALUES"]], SYNTAX],
  ])("%s", (_name, commands, expected) => {
    expect(runPlain(createTestStore(), ...commands)).toEqual(expected);
  });
});

describe("union, intersection, difference", () => {
  const A = ["ZADD", "a", "1", "x", "2", "y", "3", "z"];
  const B = ["ZADD", "b", "10", "y", "20", "z", "30", "w"];
  const cases: Case[] = [
    ["ZUNION", [A, B, ["ZUNION", "2", "a", "b", "WITHSCORES"]], ["x", "1", "y", "12", "z", "23", "w", "30"]],
    [
      "ZUNION WEIGHTS",
      [A, B, ["ZUNION", "2", "a", "b", "WEIGHTS", "2", "-1", "WITHSCORES"]],
      ["w", "-30", "z", "-14", "y", "-6", "x", "2"],
    ],
    ["ZUNION MIN", [A, B, ["ZUNION", "2", "a", "b", "AGGREGATE", "min"]], ["x", "y", "z", "w"]],
    ["ZINTER", [A, B, ["ZINTER", "2", "a", "b", "WITHSCORES"]], ["y", "12", "z", "23"]],
    ["ZINTER MAX", [A, B, ["ZINTER", "2", "a", "b", "AGGREGATE", "MAX", "WITHSCORES"]], ["y", "10", "z", "20"]],
    ["ZINTER with a missing key", [A, ["ZINTER", "2", "a", "nope"]], []],
    ["ZDIFF", [A, B, ["ZDIFF", "2", "a", "b", "WITHSCORES"]], ["x", "1"]],
    ["ZDIFF takes no WEIGHTS", [A, B, ["ZDIFF", "2", "a", "b", "WEIGHTS", "1", "1"]], SYNTAX],
    [
      "inf - inf sums to 0",
      [
        ["ZADD", "e", "inf", "p"],
        ["ZUNION", "2", "e", "e", "WEIGHTS", "1", "-1", "WITHSCORES"],
      ],
      ["p", "0"],
    ],
    [
      "0 * inf weighs 0",
      [
        ["ZADD", "e", "inf", "p"],
        ["ZUNION", "1", "e", "WEIGHTS", "0", "WITHSCORES"],
      ],
      ["p", "0"],
    ],
    ["ZUNIONSTORE", [A, B, ["ZUNIONSTORE", "d", "2", "a", "b"]], 4],
    [
      "ZINTERSTORE",
      [A, B, ["ZINTERSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "0.5"], ["ZRANGE", "d", "0", "-1", "WITHSCORES"]],
      ["y", "7", "z", "13"],
    ],
    ["ZDIFFSTORE", [A, B, ["ZDIFFSTORE", "d", "2", "a", "b"], ["ZRANGE", "d", "0", "-1"]], ["x"]],
    [
      "an empty result deletes the destination",
      [A, ["ZADD", "d", "1", "q"], ["ZINTERSTORE", "d", "2", "a", "nope"], ["EXISTS", "d"]],
      0,
    ],
    ["STORE takes no WITHSCORES", [A, ["ZUNIONSTORE", "d", "1", "a", "WITHSCORES"]], SYNTAX],
    [
      "numkeys 0",
      [["ZUNIONSTORE", "d", "0", "a"]],
      error("ERR at least 1 input key is needed for 'zunionstore' command"),
    ],
    ["numkeys 0 (ZINTER)", [["ZINTER", "0", "a"]], error("ERR at least 1 input key is needed for 'zinter' command")],
    ["numkeys too large", [["ZUNIONSTORE", "d", "3", "a", "b"]], SYNTAX],
    ["numkeys not a number", [["ZUNIONSTORE", "d", "x", "a"]], NOT_INT],
    ["WEIGHTS too few", [A, ["ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1"]], SYNTAX],
    ["bad weight", [A, ["ZUNIONSTORE", "d", "1", "a", "WEIGHTS", "x"]], error("ERR weight value is not a float")],
    ["bad AGGREGATE", [A, ["ZUNIONSTORE", "d", "1", "a", "AGGREGATE", "avg"]], SYNTAX],
    ["ZINTERCARD", [A, B, ["ZINTERCARD", "2", "a", "b"]], 2],
    ["ZINTERCARD LIMIT", [A, B, ["ZINTERCARD", "2", "a", "b", "LIMIT", "1"]], 1],
    [
      "ZINTERCARD negative LIMIT",
      [A, B, ["ZINTERCARD", "2", "a", "b", "LIMIT", "-1"]],
      error("ERR LIMIT can't be negative"),
    ],
  ];
  it.each(cases)("%s", (_name, commands, expected) => {
    expect(runPlain(createTestStore(), ...commands)).toEqual(expected);
  });

  it("plain sets take part with score 1", () => {
    const t = createTestStore();
    t.ok(...A);
    putRaw(t, "s", SetValue.of(["x", "q"]));
    expect(plainReply(t.run("ZUNION", "2", "a", "s", "WITHSCORES"))).toEqual(["q", "1", "x", "2", "y", "2", "z", "3"]);
    expect(plainReply(t.run("ZINTER", "2", "s", "a", "WITHSCORES"))).toEqual(["x", "2"]);
  });

  it("declares destination and input keys", () => {
    const spec = zsetCommands.find((s) => s.name === "ZUNIONSTORE");
    expect(spec?.keys?.(["ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"])).toEqual(["d", "a", "b"]);
    const zinter = zsetCommands.find((s) => s.name === "ZINTER");
    expect(zinter?.keys?.(["ZINTER", "1", "a", "WITHSCORES"])).toEqual(["a"]);
  });
});

describe("WRONGTYPE", () => {
  const commands: string[][] = [
    ["ZADD", "s", "1", "a"],
    ["ZINCRBY", "s", "1", "a"],
    ["ZREM", "s", "a"],
    ["ZSCORE", "s", "a"],
    ["ZMSCORE", "s", "a"],
    ["ZCARD", "s"],
    ["ZCOUNT", "s", "0", "1"],
    ["ZLEXCOUNT", "s", "-", "+"],
    ["ZRANK", "s", "a"],
    ["ZREVRANK", "s", "a"],
    ["ZRANGE", "s", "0", "-1"],
    ["ZRANGEBYSCORE", "s", "0", "1"],
    ["ZREVRANGEBYSCORE", "s", "1", "0"],
    ["ZRANGEBYLEX", "s", "-", "+"],
    ["ZREVRANGEBYLEX", "s", "+", "-"],
    ["ZREVRANGE", "s", "0", "-1"],
    ["ZRANGESTORE", "d", "s", "0", "-1"],
    ["ZREMRANGEBYSCORE", "s", "0", "1"],
    ["ZREMRANGEBYRANK", "s", "0", "1"],
    ["ZREMRANGEBYLEX", "s", "-", "+"],
    ["ZPOPMIN", "s"],
    ["ZPOPMAX", "s", "0"],
    ["ZRANDMEMBER", "s"],
    ["ZRANDMEMBER", "s", "2"],
    ["ZSCAN", "s", "0"],
    ["ZUNIONSTORE", "d", "1", "s"],
    ["ZINTER", "1", "s"],
    ["ZDIFF", "1", "s"],
    ["ZINTERCARD", "1", "s"],
  ];
  it.each(commands.map((c) => [c.join(" "), c] as const))("%s", (_name, command) => {
    const t = createTestStore();
    putRaw(t, "s", "a string");
    expect(plainReply(t.run(...command))).toEqual(
      error("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
    expect(peek(t, "s")).toBe("a string");
  });
});

describe("events", () => {
  const cases: [name: string, setup: string[][], command: string[], events: string[]][] = [
    ["ZADD", [], ["ZADD", "z", "1", "a"], ["zset:zadd:z"]],
    ["ZADD with no change", [Z], ["ZADD", "z", "1", "a"], []],
    ["ZADD INCR", [Z], ["ZADD", "z", "INCR", "1", "a"], ["zset:zincr:z"]],
    ["ZINCRBY", [], ["ZINCRBY", "z", "1", "a"], ["zset:zincr:z"]],
    ["ZREM", [Z], ["ZREM", "z", "a"], ["zset:zrem:z"]],
    ["ZREM of nothing", [Z], ["ZREM", "z", "x"], []],
    ["ZREM emptying", [["ZADD", "z", "1", "a"]], ["ZREM", "z", "a"], ["zset:zrem:z", "generic:del:z"]],
    ["ZREMRANGEBYSCORE", [Z], ["ZREMRANGEBYSCORE", "z", "0", "1"], ["zset:zremrangebyscore:z"]],
    ["ZREMRANGEBYRANK emptying", [Z], ["ZREMRANGEBYRANK", "z", "0", "-1"], ["zset:zremrangebyrank:z", "generic:del:z"]],
    ["ZREMRANGEBYLEX", [L], ["ZREMRANGEBYLEX", "l", "-", "[a"], ["zset:zremrangebylex:l"]],
    ["ZREMRANGEBYLEX of nothing", [L], ["ZREMRANGEBYLEX", "l", "(z", "+"], []],
    ["ZPOPMIN count emits once", [Z], ["ZPOPMIN", "z", "2"], ["zset:zpopmin:z"]],
    ["ZPOPMAX emptying", [["ZADD", "z", "1", "a"]], ["ZPOPMAX", "z"], ["zset:zpopmax:z", "generic:del:z"]],
    ["ZRANGESTORE", [Z], ["ZRANGESTORE", "d", "z", "0", "1"], ["zset:zrangestore:d"]],
    [
      "ZRANGESTORE empty over an existing key",
      [Z, ["ZADD", "d", "1", "x"]],
      ["ZRANGESTORE", "d", "z", "9", "10"],
      ["generic:del:d"],
    ],
    ["ZRANGESTORE empty over nothing", [Z], ["ZRANGESTORE", "d", "z", "9", "10"], []],
    ["ZUNIONSTORE", [Z], ["ZUNIONSTORE", "d", "1", "z"], ["zset:zunionstore:d"]],
    ["ZINTERSTORE", [Z], ["ZINTERSTORE", "d", "1", "z"], ["zset:zinterstore:d"]],
    ["ZDIFFSTORE", [Z], ["ZDIFFSTORE", "d", "1", "z"], ["zset:zdiffstore:d"]],
    ["reads emit nothing", [Z], ["ZRANGE", "z", "0", "-1"], []],
  ];
  it.each(cases)("%s", (_name, setup, command, expected) => {
    const t = createTestStore();
    for (const c of setup) t.ok(...c);
    t.events.length = 0;
    t.run(...command);
    expect(eventsOf(t)).toEqual(expected);
  });
});

describe("TTL", () => {
  it("changing members keeps the TTL", () => {
    const t = createTestStore();
    t.ok(...Z);
    expireIn(t, "z", 5_000);
    const deadline = deadlineOf(t, "z");
    t.ok("ZADD", "z", "9", "f");
    t.ok("ZREM", "z", "a");
    t.ok("ZINCRBY", "z", "1", "b");
    t.ok("ZPOPMIN", "z");
    expect(deadlineOf(t, "z")).toBe(deadline);
  });

  it("an expired sorted set is gone for every command", () => {
    const t = createTestStore();
    t.ok(...Z);
    expireIn(t, "z", 1_000);
    t.clock.advance(999);
    expect(t.ok("ZCARD", "z")).toBe(5);
    t.clock.advance(2);
    expect(t.ok("ZCARD", "z")).toBe(0);
    expect(t.ok("ZRANGE", "z", "0", "-1")).toEqual([]);
    expect(t.ok("ZADD", "z", "1", "n")).toBe(1);
    expect(t.ok("ZRANGE", "z", "0", "-1")).toEqual(["n"]);
    expect(deadlineOf(t, "z")).toBeUndefined();
  });

  it("a sorted set emptied and re-created has no TTL", () => {
    const t = createTestStore();
    t.ok("ZADD", "z", "1", "a");
    expireIn(t, "z", 5_000);
    t.ok("ZPOPMIN", "z");
    t.ok("ZADD", "z", "1", "a");
    expect(deadlineOf(t, "z")).toBeUndefined();
  });
});

describe("ZSetValue", () => {
  it("clones deeply", () => {
    const t = createTestStore();
    t.ok(...Z);
    const original = peek(t, "z") as ZSetValue;
    const copy = original.clone();
    copy.remove("a");
    copy.set("b", 100);
    expect(original.size).toBe(5);
    expect(original.score("b")).toBe(2);
    expect(copy.rank("b", false)).toBe(3);
    copy.ordered.verify();
    expect(original.memoryBytes()).toBeGreaterThan(copy.memoryBytes());
    expect(original.encoding).toBe("skiplist");
  });

  it("agrees with a sorted-array model through the commands", () => {
    const t = createTestStore();
    const rnd = seededRandom(11);
    const model = new Map<string, number>();
    const sorted = () =>
      [...model.entries()].sort((x, y) => x[1] - y[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)).map((e) => e[0]);
    for (let i = 0; i < 1500; i++) {
      const member = `m${Math.floor(rnd() * 200)}`;
      if (rnd() < 0.7) {
        const score = Math.floor(rnd() * 50) - 25;
        t.ok("ZADD", "z", String(score), member);
        model.set(member, score);
      } else {
        t.ok("ZREM", "z", member);
        model.delete(member);
      }
      if (i % 100 === 0) {
        const order = sorted();
        expect(t.ok("ZRANGE", "z", "0", "-1")).toEqual(order);
        const lo = Math.floor(rnd() * 50) - 25;
        const inRange = order.filter((m) => (model.get(m) as number) >= lo && (model.get(m) as number) < lo + 10);
        expect(t.ok("ZCOUNT", "z", String(lo), `(${lo + 10}`)).toBe(inRange.length);
        expect(t.ok("ZRANGEBYSCORE", "z", String(lo), `(${lo + 10}`)).toEqual(inRange);
        const probe = order[Math.floor(order.length / 2)];
        if (probe !== undefined) expect(t.ok("ZRANK", "z", probe)).toBe(order.indexOf(probe));
      }
    }
  });
});

describe("command table", () => {
  it.each(zsetCommands.map((s) => [s.name, s] as const))("%s is well formed", (name, spec) => {
    expect(spec.group).toBe("sorted-set");
    expect(spec.syntax.startsWith(`${name} `)).toBe(true);
    expect(spec.summary.length).toBeGreaterThan(10);
    expect(spec.complexity.startsWith("O(")).toBe(true);
    expect(spec.flags.includes("write") !== spec.flags.includes("readonly")).toBe(true);
  });

  it("arity is enforced by the dispatcher", () => {
    const t = createTestStore();
    expect(plainReply(t.run("ZADD", "z", "1"))).toEqual(error("ERR wrong number of arguments for 'zadd' command"));
    expect(plainReply(t.run("ZSCORE", "z"))).toEqual(error("ERR wrong number of arguments for 'zscore' command"));
    expect(plainReply(t.run("ZRANGESTORE", "d", "z", "0"))).toEqual(
      error("ERR wrong number of arguments for 'zrangestore' command"),
    );
  });
});
