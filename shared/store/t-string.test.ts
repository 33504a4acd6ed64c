import { describe, expect, it } from "vitest";
import type { Bytes } from "./bytes.js";
import type { CommandContext } from "./command.js";
import { commandKeys } from "./command.js";
import { StoreError } from "./errors.js";
import { OK, type Reply } from "./reply.js";
import {
  addInt64,
  getStringValue,
  int64Reply,
  parseExpireDeadline,
  parseLongLong,
  setStringValue,
  stringCommands,
} from "./t-string.js";
import { createTestStore, deadlineOf, err, expectReply, peek, type TestStore } from "./testing.js";

/*
 * Expected replies were checked against a real Redis 7.0 (same commands, same setups).
 * Every case starts from the fixture: `s` = "hello", `n` = "10", `e` = "" (empty string),
 * `l` = a list [x], `t` = "ttl" expiring in 100 s; nothing else.
 */

const WRONGTYPE = err("WRONGTYPE", "WRONGTYPE Operation against a key holding the wrong kind of value");
const NOT_INT = err("NOT_INTEGER", "ERR value is not an integer or out of range");
const NOT_FLOAT = err("NOT_FLOAT", "ERR value is not a valid float");
const SYNTAX = err("SYNTAX", "ERR syntax error");
const OVERFLOW = err("OVERFLOW", "ERR increment or decrement would overflow");
const NAN_INF = err("NAN", "ERR increment would produce NaN or Infinity");
const TOO_BIG = err("LIMIT", "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
const OFFSET = err("INDEX_OUT_OF_RANGE", "ERR offset is out of range");
const LCS_TYPE = err("WRONGTYPE", "ERR The specified keys must contain string values");
const expireErr = (cmd: string) => err("INVALID_EXPIRE", `ERR invalid expire time in '${cmd}' command`);
const arity = (name: string) => err("WRONG_ARITY", `ERR wrong number of arguments for '${name}' command`);

const T0 = 1_780_000_000_000;
const MAX_I64 = 9223372036854775807n;
const MIN_I64 = -9223372036854775808n;

/** A store with the fixture every table case starts from, at time T0, events cleared. */
function fixture(options: Parameters<typeof createTestStore>[0] = {}): TestStore {
  const t = createTestStore(options);
  t.clock.set(T0);
  t.ok("SET", "s", "hello");
  t.ok("SET", "n", "10");
  t.ok("SET", "e", "");
  t.ok("RPUSH", "l", "x");
  t.ok("SET", "t", "ttl", "EX", "100");
  t.events.length = 0;
  return t;
}

/** A reply as test-title text (JSON with bigints and errors shown). */
function show(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    typeof v === "bigint" ? `${v}n` : v instanceof StoreError ? `<${v.message}>` : v,
  );
}

/** `[key, value]`: the raw value at key afterwards (a string, or null for missing). */
type After = [key: string, value: string | null];
type Case = [command: string[], reply: Reply, after?: After];

/** Runs table cases on a fresh fixture: the reply, then optionally the raw value of one key. */
function table(cases: Case[]): void {
  const titled = cases.map(
    ([command, reply, after]) => [`${show(command)} -> ${show(reply)}`, command, reply, after] as const,
  );
  it.each(titled)("%s", (_title, command, reply, after) => {
    const t = fixture();
    expectReply(t.run(...command), reply);
    if (after !== undefined) {
      const [key, value] = after;
      expect(peek(t, key)).toBe(value === null ? undefined : value);
    }
  });
}

/** A step of a scenario: a command and its reply, or a clock move. */
type Step = [command: string[], reply: Reply] | ["advance", number];

/** Runs a scenario (list of steps) on a fresh fixture. */
function scenario(steps: Step[]): void {
  const t = fixture();
  for (const step of steps) {
    if (step[0] === "advance") t.clock.advance(step[1] as number);
    else expectReply(t.run(...(step[0] as string[])), step[1] as Reply);
  }
}

describe("the command table", () => {
  const byName = new Map(stringCommands.map((s) => [s.name, s]));
  const rows: [name: string, arity: number, flags: string[]][] = [
    ["GET", 2, ["readonly", "fast"]],
    ["SET", -3, ["write", "denyoom"]],
    ["SETNX", 3, ["write", "denyoom", "fast"]],
    ["SETEX", 4, ["write", "denyoom"]],
    ["PSETEX", 4, ["write", "denyoom"]],
    ["GETSET", 3, ["write", "denyoom", "fast"]],
    ["GETDEL", 2, ["write", "fast"]],
    ["GETEX", -2, ["write", "fast"]],
    ["MGET", -2, ["readonly", "fast"]],
    ["MSET", -3, ["write", "denyoom"]],
    ["MSETNX", -3, ["write", "denyoom"]],
    ["INCR", 2, ["write", "denyoom", "fast"]],
    ["DECR", 2, ["write", "denyoom", "fast"]],
    ["INCRBY", 3, ["write", "denyoom", "fast"]],
    ["DECRBY", 3, ["write", "denyoom", "fast"]],
    ["INCRBYFLOAT", 3, ["write", "denyoom", "fast"]],
    ["APPEND", 3, ["write", "denyoom", "fast"]],
    ["STRLEN", 2, ["readonly", "fast"]],
    ["GETRANGE", 4, ["readonly"]],
    ["SUBSTR", 4, ["readonly"]],
    ["SETRANGE", 4, ["write", "denyoom"]],
    ["LCS", -3, ["readonly"]],
  ];
  it("has exactly the string commands", () => {
    expect([...byName.keys()].sort()).toEqual(rows.map((r) => r[0]).sort());
  });
  it.each(rows)("%s: arity %d, flags %j, documented", (name, ar, flags) => {
    const spec = byName.get(name);
    expect(spec).toBeDefined();
    expect(spec?.arity).toBe(ar);
    expect(spec?.flags).toEqual(flags);
    expect(spec?.group).toBe("string");
    expect(spec?.syntax.startsWith(`${name} key`)).toBe(true);
    expect(spec?.summary.length).toBeGreaterThan(5);
    expect(spec?.complexity.startsWith("O(")).toBe(true);
  });
  it.each([
    [["GET", "a"], ["a"]],
    [["SET", "a", "v", "EX", "10"], ["a"]],
    [
      ["MGET", "a", "b", "c"],
      ["a", "b", "c"],
    ],
    [
      ["MSET", "a", "1", "b", "2"],
      ["a", "b"],
    ],
    [
      ["MSETNX", "a", "1", "b", "2", "c", "3"],
      ["a", "b", "c"],
    ],
    [
      ["LCS", "a", "b", "IDX"],
      ["a", "b"],
    ],
  ])("keys of %j are %j", (argv, keys) => {
    const spec = byName.get(argv[0] as string);
    expect(spec && commandKeys(spec, argv)).toEqual(keys);
  });
  it("checks arity before running", () => {
    const t = fixture();
    expectReply(t.run("GET"), arity("get"));
    expectReply(t.run("SET", "a"), arity("set"));
    expectReply(t.run("GETDEL", "a", "b"), arity("getdel"));
    expectReply(t.run("MGET"), arity("mget"));
    expectReply(t.run("LCS", "a"), arity("lcs"));
  });
});

describe("GET / SET", () => {
  table([
    [["GET", "s"], "hello"],
    [["GET", "missing"], null],
    [["GET", "e"], ""],
    [["GET", "l"], WRONGTYPE],
    [["get", "s"], "hello"],
    [["SET", "a", "v"], OK, ["a", "v"]],
    [["SET", "s", ""], OK, ["s", ""]],
    [["SET", "l", "v"], OK, ["l", "v"]],
    [["SET", "s", "v", "NX"], null, ["s", "hello"]],
    [["SET", "a", "v", "NX"], OK, ["a", "v"]],
    [["SET", "e", "v", "NX"], null, ["e", ""]],
    [["SET", "s", "v", "XX"], OK, ["s", "v"]],
    [["SET", "a", "v", "XX"], null, ["a", null]],
    [["SET", "e", "v", "XX"], OK, ["e", "v"]],
    [["SET", "l", "v", "XX"], OK, ["l", "v"]],
    [["SET", "s", "v", "GET"], "hello", ["s", "v"]],
    [["SET", "e", "v", "GET"], "", ["e", "v"]],
    [["SET", "a", "v", "GET"], null, ["a", "v"]],
    [["SET", "l", "v", "GET"], WRONGTYPE],
    [["SET", "l", "v", "NX", "GET"], WRONGTYPE],
    [["SET", "s", "v", "NX", "GET"], "hello", ["s", "hello"]],
    [["SET", "a", "v", "NX", "GET"], null, ["a", "v"]],
    [["SET", "a", "v", "XX", "GET"], null, ["a", null]],
    [["SET", "s", "v", "XX", "GET"], "hello", ["s", "v"]],
    [["SET", "s", "v", "GET", "GET"], "hello", ["s", "v"]],
    [["SET", "s", "v", "NX", "NX"], null],
    [["SET", "s", "v", "nx", "get"], "hello"],
    [["SET", "s", "v", "NX", "XX"], SYNTAX, ["s", "hello"]],
    [["SET", "s", "v", "XX", "NX"], SYNTAX],
    [["SET", "s", "v", "FOO"], SYNTAX],
    [["SET", "s", "v", "PERSIST"], SYNTAX],
    [["SET", "s", "v", "EX"], SYNTAX],
    [["SET", "s", "v", "PX"], SYNTAX],
    [["SET", "s", "v", "EX", "1", "PX", "1"], SYNTAX],
    [["SET", "s", "v", "EX", "1", "EXAT", "1"], SYNTAX],
    [["SET", "s", "v", "PXAT", "1", "PX", "1"], SYNTAX],
    [["SET", "s", "v", "KEEPTTL", "EX", "1"], SYNTAX],
    [["SET", "s", "v", "EX", "1", "KEEPTTL"], SYNTAX],
    [["SET", "s", "v", "EX", "0"], expireErr("set"), ["s", "hello"]],
    [["SET", "s", "v", "EX", "-1"], expireErr("set")],
    [["SET", "s", "v", "PX", "0"], expireErr("set")],
    [["SET", "s", "v", "EXAT", "0"], expireErr("set")],
    [["SET", "s", "v", "PXAT", "-5"], expireErr("set")],
    [["SET", "s", "v", "EX", "abc"], NOT_INT],
    [["SET", "s", "v", "EX", "1.5"], NOT_INT],
    [["SET", "s", "v", "EX", "9223372036854775808"], NOT_INT],
    // seconds × 1000 would overflow int64
    [["SET", "s", "v", "EX", "9223372036854776"], expireErr("set")],
    [["SET", "s", "v", "EXAT", "9223372036854776"], expireErr("set")],
    // fits once multiplied, overflows once now is added
    [["SET", "s", "v", "EX", "9223372036854775"], expireErr("set")],
    [["SET", "s", "v", "PX", "9223372036854775807"], expireErr("set")],
    // Redis takes these; deadlines past 2^53 - 1 ms would be stored rounded, so they are refused
    // (MAX_DEADLINE_MS, SECURITY.md "where a limit differs from Redis on purpose").
    [["SET", "s", "v", "EXAT", "9223372036854775"], expireErr("set")],
    [["SET", "s", "v", "PXAT", "9223372036854775807"], expireErr("set")],
    [["SET", "s", "v", "PXAT", "9007199254740992"], expireErr("set")],
    [["SET", "s", "v", "PXAT", "9007199254740991"], OK],
    [["SET", "s", "v", "EXAT", "9007199254740"], OK],
    [["SET", "s", "v", "EXAT", "9007199254741"], expireErr("set")],
    // the expire is checked before GET's type check
    [["SET", "l", "v", "EX", "0", "GET"], expireErr("set")],
    [["SET", "s", "v", "EX", "abc", "GET"], NOT_INT],
  ]);

  it("is binary safe for keys and values", () => {
    const t = fixture();
    const key = new Uint8Array([0, 255, 10, 13]);
    const value = new Uint8Array([0, 1, 2, 255, 254, 0]);
    expect(t.ok("SET", key, value)).toBe(OK);
    expect(t.ok("GET", key)).toBe("\x00\x01\x02\xff\xfe\x00");
    expect(t.ok("STRLEN", key)).toBe(6);
  });

  it("stores UTF-8 text as bytes", () => {
    const t = fixture();
    t.ok("SET", "u", "héllo €");
    expect(t.ok("STRLEN", "u")).toBe(10);
    expect(t.ok("GETRANGE", "u", "0", "2")).toBe("h\xc3\xa9");
  });
});

describe("SET and TTLs", () => {
  it.each([
    [["EX", "10"], T0 + 10_000],
    [["PX", "1500"], T0 + 1500],
    [["EXAT", String(T0 / 1000 + 50)], T0 + 50_000],
    [["PXAT", String(T0 + 1234)], T0 + 1234],
    [["ex", "5", "ex", "7"], T0 + 7000],
    [["px", "5", "PX", "9"], T0 + 9],
    [["NX", "EX", "3"], T0 + 3000],
  ])("SET a v %j sets the deadline", (options, at) => {
    const t = fixture();
    expect(t.ok("SET", "a", "v", ...options)).toBe(OK);
    expect(deadlineOf(t, "a")).toBe(at);
  });

  it.each([
    [["SET", "t", "v"], undefined],
    [["SET", "t", "v", "KEEPTTL"], T0 + 100_000],
    [["SET", "t", "v", "XX", "KEEPTTL", "GET"], T0 + 100_000],
    [["SET", "t", "v", "EX", "5"], T0 + 5000],
    [["SET", "t", "v", "NX", "EX", "5"], T0 + 100_000],
    [["GETSET", "t", "v"], undefined],
    [["MSET", "t", "v"], undefined],
    [["SETEX", "t", "7", "v"], T0 + 7000],
    [["PSETEX", "t", "7", "v"], T0 + 7],
    [["APPEND", "t", "!"], T0 + 100_000],
    [["SETRANGE", "t", "0", "T"], T0 + 100_000],
    [["SETRANGE", "t", "0", ""], T0 + 100_000],
    [["GETEX", "t"], T0 + 100_000],
    [["GETEX", "t", "PERSIST"], undefined],
    [["GETEX", "t", "EX", "1"], T0 + 1000],
    [["GET", "t"], T0 + 100_000],
  ])("%j leaves deadline %s", (command, at) => {
    const t = fixture();
    t.run(...command);
    expect(deadlineOf(t, "t")).toBe(at);
  });

  it("INCR family keeps the TTL", () => {
    const t = fixture();
    t.ok("SET", "c", "1", "PX", "500");
    for (const cmd of [
      ["INCR", "c"],
      ["DECR", "c"],
      ["INCRBY", "c", "5"],
      ["DECRBY", "c", "2"],
      ["INCRBYFLOAT", "c", "1.5"],
    ]) {
      t.ok(...cmd);
      expect(deadlineOf(t, "c")).toBe(T0 + 500);
    }
    expect(t.ok("GET", "c")).toBe("5.5");
  });

  it("a key set with a deadline in the past is gone at once", () => {
    const t = fixture();
    expect(t.ok("SET", "a", "v", "PXAT", "1")).toBe(OK);
    expect(t.ok("GET", "a")).toBeNull();
    expect(t.events.map((e) => e.event)).toEqual(["set", "expire", "expired"]);
    expect(t.ok("SET", "b", "v", "EXAT", String(T0 / 1000 - 1))).toBe(OK);
    expect(t.ok("EXISTS", "b")).toBe(0);
  });

  it("expires with the clock, never earlier", () => {
    scenario([
      [["SET", "a", "v", "PX", "100"], OK],
      ["advance", 100],
      [["GET", "a"], "v"],
      ["advance", 1],
      [["GET", "a"], null],
      [["SETEX", "b", "2", "v"], OK],
      ["advance", 1999],
      [["GETEX", "b", "PX", "10"], "v"],
      ["advance", 11],
      [["GET", "b"], null],
      [["SET", "c", "v", "EX", "1"], OK],
      [["SET", "c", "w", "KEEPTTL"], OK],
      ["advance", 1001],
      [["GET", "c"], null],
    ]);
  });

  it("KEEPTTL on an expired key does not revive its old deadline", () => {
    scenario([
      [["SET", "a", "v", "PX", "10"], OK],
      ["advance", 11],
      [["SET", "a", "w", "KEEPTTL"], OK],
      ["advance", 1_000_000],
      [["GET", "a"], "w"],
      [["PTTL", "a"], -1],
    ]);
  });

  it("NX/XX see an expired key as missing", () => {
    scenario([
      [["SET", "a", "v", "PX", "10"], OK],
      ["advance", 11],
      [["SET", "a", "w", "XX"], null],
      [["SET", "a", "w", "NX"], OK],
      [["INCR", "t"], NOT_INT],
      ["advance", 100_000],
      [["INCR", "t"], 1],
      [["PTTL", "t"], -1],
    ]);
  });
});

describe("SETNX / SETEX / PSETEX / GETSET / GETDEL", () => {
  table([
    [["SETNX", "a", "v"], 1, ["a", "v"]],
    [["SETNX", "s", "v"], 0, ["s", "hello"]],
    [["SETNX", "e", "v"], 0, ["e", ""]],
    [["SETNX", "l", "v"], 0],
    [["SETEX", "a", "10", "v"], OK, ["a", "v"]],
    [["SETEX", "l", "10", "v"], OK, ["l", "v"]],
    [["SETEX", "a", "0", "v"], expireErr("setex"), ["a", null]],
    [["SETEX", "a", "-10", "v"], expireErr("setex")],
    [["SETEX", "a", "x", "v"], NOT_INT],
    [["SETEX", "a", "9223372036854776", "v"], expireErr("setex")],
    [["PSETEX", "a", "10", "v"], OK, ["a", "v"]],
    [["PSETEX", "a", "0", "v"], expireErr("psetex")],
    [["PSETEX", "a", "9223372036854775807", "v"], expireErr("psetex")],
    [["GETSET", "s", "v"], "hello", ["s", "v"]],
    [["GETSET", "a", "v"], null, ["a", "v"]],
    [["GETSET", "e", "v"], "", ["e", "v"]],
    [["GETSET", "l", "v"], WRONGTYPE],
    [["GETDEL", "s"], "hello", ["s", null]],
    [["GETDEL", "e"], "", ["e", null]],
    [["GETDEL", "missing"], null],
    [["GETDEL", "l"], WRONGTYPE],
    [["GETDEL", "t"], "ttl", ["t", null]],
  ]);
});

describe("GETEX", () => {
  table([
    [["GETEX", "s"], "hello", ["s", "hello"]],
    [["GETEX", "missing"], null],
    [["GETEX", "e"], ""],
    [["GETEX", "l"], WRONGTYPE],
    [["GETEX", "s", "EX", "10"], "hello"],
    [["GETEX", "s", "PERSIST"], "hello"],
    [["GETEX", "s", "KEEPTTL"], SYNTAX],
    [["GETEX", "s", "NX"], SYNTAX],
    [["GETEX", "s", "XX"], SYNTAX],
    [["GETEX", "s", "GET"], SYNTAX],
    [["GETEX", "s", "EX"], SYNTAX],
    [["GETEX", "s", "PERSIST", "EX", "1"], SYNTAX],
    [["GETEX", "s", "EX", "1", "PERSIST"], SYNTAX],
    [["GETEX", "s", "EX", "1", "PX", "1"], SYNTAX],
    [["GETEX", "missing", "FOO"], SYNTAX],
    [["GETEX", "s", "EX", "0"], expireErr("getex")],
    [["GETEX", "s", "PXAT", "-1"], expireErr("getex")],
    [["GETEX", "s", "EX", "x"], NOT_INT],
    // the expire is validated only for a string that exists
    [["GETEX", "missing", "EX", "0"], null],
    [["GETEX", "l", "EX", "0"], WRONGTYPE],
    // an absolute deadline already past deletes the key
    [["GETEX", "s", "EXAT", "1"], "hello", ["s", null]],
    [["GETEX", "s", "PXAT", String(T0)], "hello", ["s", null]],
    [["GETEX", "s", "PXAT", String(T0 + 1)], "hello", ["s", "hello"]],
  ]);

  it.each([
    [["EX", "10"], T0 + 10_000],
    [["PX", "10"], T0 + 10],
    [["EXAT", String(T0 / 1000 + 3)], T0 + 3000],
    [["PXAT", String(T0 + 3)], T0 + 3],
    [["PERSIST"], undefined],
    [[], T0 + 100_000],
  ])("GETEX t %j leaves deadline %s", (options, at) => {
    const t = fixture();
    expect(t.ok("GETEX", "t", ...options)).toBe("ttl");
    expect(deadlineOf(t, "t")).toBe(at);
  });
});

describe("MGET / MSET / MSETNX", () => {
  table([
    [
      ["MGET", "s", "missing", "e", "l", "n"],
      ["hello", null, "", null, "10"],
    ],
    [["MGET", "missing"], [null]],
    [
      ["MGET", "s", "s"],
      ["hello", "hello"],
    ],
    [["MSET", "a", "1", "b", "2"], OK, ["b", "2"]],
    [["MSET", "a", "1", "a", "2"], OK, ["a", "2"]],
    [["MSET", "l", "v"], OK, ["l", "v"]],
    [["MSET", "a", "1", "b"], arity("mset"), ["a", null]],
    [["MSETNX", "a", "1", "b", "2"], 1, ["b", "2"]],
    [["MSETNX", "a", "1", "s", "2"], 0, ["a", null]],
    [["MSETNX", "a", "1", "l", "2"], 0, ["a", null]],
    [["MSETNX", "a", "1", "a", "2"], 1, ["a", "2"]],
    [["MSETNX", "a", "1", "b"], arity("msetnx")],
  ]);
});

describe("INCR / DECR / INCRBY / DECRBY", () => {
  table([
    [["INCR", "n"], 11, ["n", "11"]],
    [["DECR", "n"], 9, ["n", "9"]],
    [["INCR", "a"], 1, ["a", "1"]],
    [["DECR", "a"], -1, ["a", "-1"]],
    [["INCRBY", "n", "-20"], -10, ["n", "-10"]],
    [["DECRBY", "n", "-20"], 30, ["n", "30"]],
    [["INCRBY", "n", "0"], 10],
    [["DECRBY", "n", "0"], 10],
    [["INCRBY", "n", "1.5"], NOT_INT],
    [["INCRBY", "n", "-0"], NOT_INT],
    [["INCRBY", "n", "+1"], NOT_INT],
    [["INCRBY", "n", " 1"], NOT_INT],
    [["INCRBY", "n", "01"], NOT_INT],
    [["INCRBY", "n", ""], NOT_INT],
    [["INCRBY", "n", "9223372036854775808"], NOT_INT],
    [["DECRBY", "n", "-9223372036854775808"], err("OVERFLOW", "ERR decrement would overflow")],
    [["INCRBY", "n", "-9223372036854775808"], MIN_I64 + 10n, ["n", "-9223372036854775798"]],
    [["INCR", "s"], NOT_INT, ["s", "hello"]],
    [["INCR", "e"], NOT_INT],
    [["INCR", "l"], WRONGTYPE],
    [["DECRBY", "l", "x"], NOT_INT],
    [["INCRBY", "n", "9007199254740981"], 9007199254740991],
    [["INCRBY", "n", "9007199254740982"], 9007199254740992n, ["n", "9007199254740992"]],
    [["DECRBY", "n", "9007199254741002"], -9007199254740992n],
    [["INCRBY", "n", "9223372036854775797"], MAX_I64, ["n", "9223372036854775807"]],
    [["INCRBY", "n", "9223372036854775798"], OVERFLOW, ["n", "10"]],
    [["DECRBY", "n", "9223372036854775807"], -9223372036854775797n],
  ]);

  it.each([
    ["-0", NOT_INT],
    ["007", NOT_INT],
    [" 1", NOT_INT],
    ["1 ", NOT_INT],
    ["1e3", NOT_INT],
    ["0x10", NOT_INT],
    ["9223372036854775807", OVERFLOW],
    ["9223372036854775806", MAX_I64],
    ["-9223372036854775808", -9223372036854775807n],
    ["9007199254740990", 9007199254740991],
    ["9007199254740991", 9007199254740992n],
    ["0", 1],
  ] as [string, Reply][])("INCR on stored %j", (stored, reply) => {
    const t = fixture();
    t.ok("SET", "a", stored);
    expectReply(t.run("INCR", "a"), reply);
  });

  it("DECR at the bottom overflows and leaves the value", () => {
    scenario([
      [["SET", "a", "-9223372036854775807"], OK],
      [["DECR", "a"], MIN_I64],
      [["DECR", "a"], OVERFLOW],
      [["GET", "a"], "-9223372036854775808"],
      [["INCRBY", "a", "9223372036854775807"], -1],
    ]);
  });
});

describe("INCRBYFLOAT", () => {
  table([
    [["INCRBYFLOAT", "n", "1.5"], "11.5", ["n", "11.5"]],
    [["INCRBYFLOAT", "a", "1.5"], "1.5", ["a", "1.5"]],
    [["INCRBYFLOAT", "n", "-10"], "0", ["n", "0"]],
    [["INCRBYFLOAT", "n", "abc"], NOT_FLOAT, ["n", "10"]],
    [["INCRBYFLOAT", "n", ""], NOT_FLOAT],
    [["INCRBYFLOAT", "n", " 1"], NOT_FLOAT],
    [["INCRBYFLOAT", "n", "1 "], NOT_FLOAT],
    [["INCRBYFLOAT", "n", "1e"], NOT_FLOAT],
    [["INCRBYFLOAT", "n", "nan"], NOT_FLOAT],
    [["INCRBYFLOAT", "n", "1e4933"], NOT_FLOAT],
    [["INCRBYFLOAT", "n", "1e-4955"], NOT_FLOAT],
    [["INCRBYFLOAT", "n", "inf"], NAN_INF, ["n", "10"]],
    [["INCRBYFLOAT", "n", "-Infinity"], NAN_INF],
    [["INCRBYFLOAT", "s", "1"], NOT_FLOAT],
    [["INCRBYFLOAT", "e", "1"], NOT_FLOAT],
    [["INCRBYFLOAT", "l", "1"], WRONGTYPE],
    [["INCRBYFLOAT", "l", "abc"], WRONGTYPE],
    [["INCRBYFLOAT", "n", "0x1p3"], "18"],
    [["INCRBYFLOAT", "n", "1e2"], "110"],
    [["INCRBYFLOAT", "n", "+.5"], "10.5"],
    [["INCRBYFLOAT", "n", "1."], "11"],
  ]);

  // Each row: stored value, increment, Redis 7.0's reply on x86-64 (80-bit long double, %.17Lf).
  it.each([
    ["0.1", "0.2", "0.3"],
    ["10.5", "0.1", "10.6"],
    ["1.1", "2.2", "3.3"],
    ["-0.1", "0.1", "0"],
    ["0", "1e-20", "0"],
    ["5", "-1e-20", "5"],
    ["3.0e3", "10.50", "3010.5"],
    ["5.0e3", "2.0e2", "5200"],
    ["0", "0.3333333333333333333333", "0.33333333333333333"],
    ["1e30", "1", "1000000000000000000024696061952"],
    ["123456789012345678", "0.5", "123456789012345678.5"],
    ["-5", "0.00000000000000001", "-4.99999999999999999"],
    ["100", "-100.5", "-0.5"],
    ["0.1", "0.7", "0.8"],
    ["0x.8", "0", "0.5"],
    ["1.5", "0.000000000000000005", "1.5"],
    [
      "0",
      "1.7976931348623157e308",
      "179769313486231569995921046774104434048386446944329178485314420765176628523124396354701868608387085564428793419425520689308708363451136055357897278026477617073498977686288394835618163294045594434929537447290627480669417384648879122776218333598953852832103282504751611691208117720159985926376802466863339536384",
    ],
  ])("%s + %s = %s", (stored, incr, expected) => {
    const t = fixture();
    t.ok("SET", "a", stored);
    expect(t.ok("INCRBYFLOAT", "a", incr)).toBe(expected);
    expect(t.ok("GET", "a")).toBe(expected);
  });

  it("refuses a stored infinity and an overflowing sum", () => {
    scenario([
      [["SET", "a", "inf"], OK],
      [["INCRBYFLOAT", "a", "1"], NAN_INF],
      [["INCRBYFLOAT", "a", "x"], NOT_FLOAT],
      [["SET", "a", "1e4932"], OK],
      [["INCRBYFLOAT", "a", "1e4932"], NAN_INF],
      [["GET", "a"], "1e4932"],
    ]);
  });
});

describe("APPEND / STRLEN", () => {
  table([
    [["APPEND", "s", " world"], 11, ["s", "hello world"]],
    [["APPEND", "a", "xy"], 2, ["a", "xy"]],
    [["APPEND", "a", ""], 0, ["a", ""]],
    [["APPEND", "s", ""], 5, ["s", "hello"]],
    [["APPEND", "e", "z"], 1, ["e", "z"]],
    [["APPEND", "n", "5"], 3, ["n", "105"]],
    [["APPEND", "l", "z"], WRONGTYPE],
    [["STRLEN", "s"], 5],
    [["STRLEN", "e"], 0],
    [["STRLEN", "missing"], 0],
    [["STRLEN", "l"], WRONGTYPE],
  ]);

  it("makes INCR see the new digits", () => {
    scenario([
      [["APPEND", "n", "0"], 3],
      [["INCR", "n"], 101],
      [["APPEND", "n", ".5"], 5],
      [["INCR", "n"], NOT_INT],
      [["INCRBYFLOAT", "n", "0.5"], "102"],
    ]);
  });
});

describe("GETRANGE / SUBSTR", () => {
  const H = "Hello World";
  const cases: [start: string, end: string, reply: Reply][] = [
    ["0", "4", "Hello"],
    ["0", "-1", H],
    ["-5", "-1", "World"],
    ["-1", "-5", ""],
    ["0", "-100", "H"],
    ["-100", "-100", "H"],
    ["-100", "-1", H],
    ["20", "30", ""],
    ["10", "100", "d"],
    ["2", "1", ""],
    ["3", "3", "l"],
    ["-9223372036854775808", "9223372036854775807", H],
    ["a", "1", NOT_INT],
    ["0", "1.0", NOT_INT],
    ["0", "9223372036854775808", NOT_INT],
  ];
  it.each(cases)("GETRANGE h %s %s -> %j", (start, end, reply) => {
    const t = fixture();
    t.ok("SET", "h", H);
    expectReply(t.run("GETRANGE", "h", start, end), reply);
    expectReply(t.run("SUBSTR", "h", start, end), reply);
  });
  table([
    [["GETRANGE", "missing", "0", "-1"], ""],
    [["GETRANGE", "missing", "a", "1"], NOT_INT],
    [["GETRANGE", "e", "0", "-1"], ""],
    [["GETRANGE", "e", "-1", "0"], ""],
    [["GETRANGE", "l", "0", "1"], WRONGTYPE],
    [["GETRANGE", "l", "x", "1"], NOT_INT],
    [["SUBSTR", "s", "1", "-2"], "ell"],
  ]);
});

describe("SETRANGE", () => {
  table([
    [["SETRANGE", "s", "0", "J"], 5, ["s", "Jello"]],
    [["SETRANGE", "s", "4", "o world"], 11, ["s", "hello world"]],
    [["SETRANGE", "s", "5", "!"], 6, ["s", "hello!"]],
    [["SETRANGE", "s", "7", "!"], 8, ["s", "hello\0\0!"]],
    [["SETRANGE", "a", "3", "ab"], 5, ["a", "\0\0\0ab"]],
    [["SETRANGE", "a", "0", "ab"], 2, ["a", "ab"]],
    [["SETRANGE", "a", "0", ""], 0, ["a", null]],
    [["SETRANGE", "a", "99999999999", ""], 0, ["a", null]],
    [["SETRANGE", "s", "10", ""], 5, ["s", "hello"]],
    [["SETRANGE", "e", "2", "x"], 3, ["e", "\0\0x"]],
    [["SETRANGE", "n", "1", "5"], 2, ["n", "15"]],
    [["SETRANGE", "s", "-1", "x"], OFFSET],
    [["SETRANGE", "s", "-1", ""], OFFSET],
    [["SETRANGE", "s", "x", "x"], NOT_INT],
    [["SETRANGE", "s", "9223372036854775807", "x"], TOO_BIG],
    [["SETRANGE", "s", "9223372036854775808", "x"], NOT_INT],
    [["SETRANGE", "s", "536870912", "x"], TOO_BIG, ["s", "hello"]],
    [["SETRANGE", "l", "0", "x"], WRONGTYPE],
    [["SETRANGE", "l", "0", ""], WRONGTYPE],
    [["SETRANGE", "l", "-1", ""], OFFSET],
  ]);
});

describe("size limit (proto-max-bulk-len as ctx.limits.maxValueBytes)", () => {
  const small = () => fixture({ limits: { maxValueBytes: 8 } });
  it.each([
    [["APPEND", "s", "123"], 8],
    [["APPEND", "s", "1234"], TOO_BIG],
    [["SETRANGE", "s", "7", "x"], 8],
    [["SETRANGE", "s", "7", "xy"], TOO_BIG],
    [["SETRANGE", "new", "8", "x"], TOO_BIG],
    [["SETRANGE", "new", "100", ""], 0],
    [["APPEND", "new", "12345678"], 8],
    [["LCS", "s", "n"], err("LIMIT", "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")],
    [["LCS", "e", "missing"], ""],
  ] as [string[], Reply][])("%j -> %j", (command, reply) => {
    expectReply(small().run(...command), reply);
  });
});

describe("LCS", () => {
  function lcsStore(a: string, b: string): TestStore {
    const t = fixture();
    t.ok("MSET", "k1", a, "k2", b);
    return t;
  }
  it.each([
    ["ohmytext", "mynewtext", [], "mytext"],
    ["ohmytext", "mynewtext", ["LEN"], 6],
    [
      "ohmytext",
      "mynewtext",
      ["IDX"],
      [
        "matches",
        [
          [
            [4, 7],
            [5, 8],
          ],
          [
            [2, 3],
            [0, 1],
          ],
        ],
        "len",
        6,
      ],
    ],
    [
      "ohmytext",
      "mynewtext",
      ["IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"],
      ["matches", [[[4, 7], [5, 8], 4]], "len", 6],
    ],
    [
      "ohmytext",
      "mynewtext",
      ["idx", "withmatchlen"],
      [
        "matches",
        [
          [[4, 7], [5, 8], 4],
          [[2, 3], [0, 1], 2],
        ],
        "len",
        6,
      ],
    ],
    ["ABCBDAB", "BDCABA", [], "BDAB"],
    [
      "ABCBDAB",
      "BDCABA",
      ["IDX", "WITHMATCHLEN"],
      [
        "matches",
        [
          [[5, 6], [3, 4], 2],
          [[3, 4], [0, 1], 2],
        ],
        "len",
        4,
      ],
    ],
    [
      "aaaaXbbbbYcccc",
      "bbbbZaaaaWcccc",
      ["IDX", "MINMATCHLEN", "-3"],
      [
        "matches",
        [
          [
            [10, 13],
            [10, 13],
          ],
          [
            [5, 8],
            [0, 3],
          ],
        ],
        "len",
        8,
      ],
    ],
    ["", "abc", [], ""],
    ["abc", "", ["IDX"], ["matches", [], "len", 0]],
    ["abc", "xyz", ["LEN"], 0],
  ] as [string, string, string[], Reply][])("LCS %j %j %j", (a, b, options, reply) => {
    expectReply(lcsStore(a, b).run("LCS", "k1", "k2", ...options), reply);
  });
  table([
    [["LCS", "s", "missing"], ""],
    [
      ["LCS", "missing", "missing2", "IDX"],
      ["matches", [], "len", 0],
    ],
    [["LCS", "s", "l"], LCS_TYPE],
    [["LCS", "l", "s", "FOO"], LCS_TYPE],
    [["LCS", "s", "n", "FOO"], SYNTAX],
    [["LCS", "s", "n", "MINMATCHLEN"], SYNTAX],
    [["LCS", "s", "n", "MINMATCHLEN", "x"], NOT_INT],
    [["LCS", "s", "n", "IDX", "LEN"], err("ERR", "ERR If you want both the length and indexes, please just use IDX.")],
  ]);
});

describe("keyspace events", () => {
  type Ev = [cls: string, event: string, key: string];
  it.each([
    [["SET", "a", "v"], [["string", "set", "a"]]],
    [
      ["SET", "a", "v", "EX", "10"],
      [
        ["string", "set", "a"],
        ["generic", "expire", "a"],
      ],
    ],
    [["SET", "a", "v", "KEEPTTL"], [["string", "set", "a"]]],
    [["SET", "s", "v", "NX"], []],
    [["SET", "a", "v", "XX", "GET"], []],
    [["SET", "l", "v", "GET"], []],
    [["SET", "a", "v", "EX", "0"], []],
    [["SETNX", "a", "v"], [["string", "set", "a"]]],
    [["SETNX", "s", "v"], []],
    [
      ["SETEX", "a", "5", "v"],
      [
        ["string", "set", "a"],
        ["generic", "expire", "a"],
      ],
    ],
    [
      ["PSETEX", "a", "5", "v"],
      [
        ["string", "set", "a"],
        ["generic", "expire", "a"],
      ],
    ],
    [["GETSET", "s", "v"], [["string", "set", "s"]]],
    [["GETDEL", "s"], [["generic", "del", "s"]]],
    [["GETDEL", "missing"], []],
    [["GETEX", "s"], []],
    [["GETEX", "s", "EX", "5"], [["generic", "expire", "s"]]],
    [["GETEX", "s", "EXAT", "1"], [["generic", "del", "s"]]],
    [["GETEX", "t", "PERSIST"], [["generic", "persist", "t"]]],
    [["GETEX", "s", "PERSIST"], []],
    [
      ["MSET", "a", "1", "b", "2"],
      [
        ["string", "set", "a"],
        ["string", "set", "b"],
      ],
    ],
    [["MSETNX", "a", "1", "s", "2"], []],
    [["INCR", "n"], [["string", "incrby", "n"]]],
    [["DECRBY", "a", "3"], [["string", "incrby", "a"]]],
    [["INCRBY", "n", "9223372036854775807"], []],
    [["INCRBYFLOAT", "n", "1"], [["string", "incrbyfloat", "n"]]],
    [["APPEND", "a", "x"], [["string", "append", "a"]]],
    [["SETRANGE", "s", "0", "x"], [["string", "setrange", "s"]]],
    [["SETRANGE", "s", "0", ""], []],
    [["GET", "s"], []],
    [["MGET", "s", "l"], []],
    [["LCS", "s", "n"], []],
  ] as [string[], Ev[]][])("%j emits %j", (command, expected) => {
    const t = fixture();
    t.run(...command);
    expect(t.events.map((e) => [e.class, e.event, e.key])).toEqual(expected);
    for (const e of t.events) expect(e.atMs).toBe(T0);
  });

  it("an expired key is reported once, on the next access", () => {
    const t = fixture();
    t.clock.advance(100_001);
    expect(t.ok("GET", "t")).toBeNull();
    expect(t.events.map((e) => [e.class, e.event, e.key])).toEqual([["expired", "expired", "t"]]);
  });
});

describe("the type API", () => {
  function withContext<T>(t: TestStore, fn: (ctx: Pick<CommandContext, "db">) => T): T {
    return t.store.repository.atomic(null, t.clock.now(), (db) => fn({ db })) as T;
  }
  it("getStringValue reads strings, undefined for missing, WRONGTYPE otherwise", () => {
    const t = fixture();
    expect(withContext(t, (ctx) => getStringValue(ctx, "s"))).toBe("hello");
    expect(withContext(t, (ctx) => getStringValue(ctx, "e"))).toBe("");
    expect(withContext(t, (ctx) => getStringValue(ctx, "missing"))).toBeUndefined();
    expect(() => withContext(t, (ctx) => getStringValue(ctx, "l"))).toThrow(/WRONGTYPE/);
  });
  it("setStringValue overwrites any type, clearing the TTL unless asked", () => {
    const t = fixture();
    withContext(t, (ctx) => setStringValue(ctx, "l", "now a string"));
    expect(t.ok("GET", "l")).toBe("now a string");
    withContext(t, (ctx) => setStringValue(ctx, "t", "kept", true));
    expect(deadlineOf(t, "t")).toBe(T0 + 100_000);
    withContext(t, (ctx) => setStringValue(ctx, "t", "cleared"));
    expect(deadlineOf(t, "t")).toBeUndefined();
  });
  it.each([
    [1, 2, 3],
    [9007199254740991, 1, 9007199254740992n],
    [MAX_I64, -1, MAX_I64 - 1n],
    [9007199254740992n, -1, 9007199254740991],
    [MIN_I64, 0, MIN_I64],
  ] as [number | bigint, number | bigint, number | bigint][])("addInt64(%s, %s) = %s", (a, b, sum) => {
    expect(addInt64(a, b)).toBe(sum);
  });
  it.each([
    [MAX_I64, 1],
    [MIN_I64, -1],
    [1, MAX_I64],
  ] as [number | bigint, number | bigint][])("addInt64(%s, %s) overflows", (a, b) => {
    expect(() => addInt64(a, b)).toThrow("ERR increment or decrement would overflow");
  });
  it("int64Reply and parseLongLong", () => {
    expect(int64Reply(5n)).toBe(5);
    expect(int64Reply(-(2n ** 53n))).toBe(-(2n ** 53n));
    expect(parseLongLong("-9223372036854775808")).toBe(MIN_I64);
    expect(() => parseLongLong("-0")).toThrow(/not an integer/);
  });
  it.each([
    ["10", { seconds: true, absolute: false }, T0 + 10_000],
    ["10", { seconds: false, absolute: false }, T0 + 10],
    ["10", { seconds: true, absolute: true }, 10_000],
    ["10", { seconds: false, absolute: true }, 10],
    ["9007199254740", { seconds: true, absolute: true }, 9007199254740000],
    ["9007199254740991", { seconds: false, absolute: true }, 9007199254740991],
  ] as const)("parseExpireDeadline(%s, %j)", (arg, unit, at) => {
    expect(parseExpireDeadline(arg, unit, T0, "set")).toBe(at);
  });
  it.each([
    ["9223372036854775", { seconds: true, absolute: true }],
    ["9007199254740992", { seconds: false, absolute: true }],
    [String(9007199254740991 - T0 + 1), { seconds: false, absolute: false }],
  ] as const)("parseExpireDeadline(%s, %j) is past MAX_DEADLINE_MS", (arg, unit) => {
    expect(() => parseExpireDeadline(arg, unit, T0, "getex")).toThrow("ERR invalid expire time in 'getex' command");
  });
  it("parseExpireDeadline names the command in its error", () => {
    expect(() => parseExpireDeadline("0", { seconds: true, absolute: false }, T0, "GETEX")).toThrow(
      "ERR invalid expire time in 'getex' command",
    );
  });
});

describe("values are bytes, not text", () => {
  const bytes: Bytes = "\x00\xff\x80a";
  it("round-trips every byte through APPEND, SETRANGE, GETRANGE", () => {
    const t = fixture();
    t.ok("SET", "b", new Uint8Array([0, 255]));
    expect(t.ok("APPEND", "b", new Uint8Array([128, 97]))).toBe(4);
    expect(t.ok("GET", "b")).toBe(bytes);
    expect(t.ok("SETRANGE", "b", "1", new Uint8Array([1]))).toBe(4);
    expect(t.ok("GETRANGE", "b", "0", "1")).toBe("\x00\x01");
    expect(t.ok("LCS", "b", "b")).toBe("\x00\x01\x80a");
  });
});
