import { describe, expect, it } from "vitest";
import { type Reply, Status } from "./reply.js";
import {
  createTestStore,
  plainError as error,
  peek,
  plainReply,
  putRaw,
  runPlain,
  plainStatus as status,
  type TestStore,
} from "./testing.js";
import type { ContainerValue, KeyType } from "./value.js";

const OK = status("OK");

/** A minimal container for tests that need one without depending on a data type's commands. */
function fakeContainer(type: Exclude<KeyType, "string">, bytes: number, encoding?: string): ContainerValue {
  const c: ContainerValue = {
    type,
    size: 1,
    clone: () => fakeContainer(type, bytes, encoding),
    memoryBytes: () => bytes,
    ...(encoding === undefined ? {} : { encoding }),
  };
  return c;
}

const eventsOf = (t: TestStore) => t.events.map((e) => `${e.event}:${e.key}`);

describe("replies (table)", () => {
  const SET = (k: string, v = "v") => ["SET", k, v];
  const cases: [name: string, commands: string[][], expected: unknown][] = [
    // DEL / UNLINK
    ["DEL counts removed keys", [SET("a"), SET("b"), ["DEL", "a", "b", "c"]], 2],
    ["DEL counts a repeated key once", [SET("a"), ["DEL", "a", "a"]], 1],
    ["DEL of nothing", [["DEL", "nope"]], 0],
    ["UNLINK counts removed keys", [SET("a"), ["UNLINK", "a", "z"]], 1],
    ["DEL without keys", [["DEL"]], error("ERR wrong number of arguments for 'del' command")],
    // EXISTS / TOUCH
    ["EXISTS counts repeats", [SET("a"), ["EXISTS", "a", "a", "b"]], 2],
    ["EXISTS missing", [["EXISTS", "a"]], 0],
    ["TOUCH counts existing keys", [SET("a"), ["TOUCH", "a", "b", "a"]], 2],
    // TYPE
    ["TYPE string", [SET("a"), ["TYPE", "a"]], status("string")],
    [
      "TYPE list",
      [
        ["RPUSH", "l", "x"],
        ["TYPE", "l"],
      ],
      status("list"),
    ],
    [
      "TYPE hash",
      [
        ["HSET", "h", "f", "v"],
        ["TYPE", "h"],
      ],
      status("hash"),
    ],
    ["TYPE missing", [["TYPE", "a"]], status("none")],
    // RENAME / RENAMENX
    ["RENAME missing", [["RENAME", "a", "b"]], error("ERR no such key")],
    ["RENAME same missing key", [["RENAME", "a", "a"]], error("ERR no such key")],
    ["RENAME same key", [SET("a"), ["RENAME", "a", "a"]], OK],
    ["RENAMENX same key", [SET("a"), ["RENAMENX", "a", "a"]], 0],
    ["RENAMENX missing", [["RENAMENX", "a", "b"]], error("ERR no such key")],
    ["RENAME overwrites", [SET("a", "1"), SET("b", "2"), ["RENAME", "a", "b"], ["GET", "b"]], "1"],
    ["RENAME removes the source", [SET("a"), ["RENAME", "a", "b"], ["EXISTS", "a"]], 0],
    ["RENAMENX onto an existing key", [SET("a"), SET("b"), ["RENAMENX", "a", "b"]], 0],
    ["RENAMENX keeps both on refusal", [SET("a", "1"), SET("b", "2"), ["RENAMENX", "a", "b"], ["GET", "a"]], "1"],
    ["RENAMENX to a free key", [SET("a"), ["RENAMENX", "a", "b"]], 1],
    // EXPIRE family: options and errors
    ["EXPIRE missing key", [["EXPIRE", "a", "10"]], 0],
    ["EXPIRE sets", [SET("a"), ["EXPIRE", "a", "10"]], 1],
    ["EXPIRE not an integer", [SET("a"), ["EXPIRE", "a", "1.5"]], error("ERR value is not an integer or out of range")],
    ["EXPIRE unknown option", [SET("a"), ["EXPIRE", "a", "10", "Foo"]], error("ERR Unsupported option Foo")],
    [
      "EXPIRE NX XX",
      [SET("a"), ["EXPIRE", "a", "10", "nx", "xx"]],
      error("ERR NX and XX, GT or LT options at the same time are not compatible"),
    ],
    [
      "EXPIRE NX GT",
      [SET("a"), ["EXPIRE", "a", "10", "NX", "GT"]],
      error("ERR NX and XX, GT or LT options at the same time are not compatible"),
    ],
    [
      "EXPIRE NX LT",
      [SET("a"), ["EXPIRE", "a", "10", "LT", "NX"]],
      error("ERR NX and XX, GT or LT options at the same time are not compatible"),
    ],
    [
      "EXPIRE GT LT",
      [SET("a"), ["EXPIRE", "a", "10", "GT", "LT"]],
      error("ERR GT and LT options at the same time are not compatible"),
    ],
    [
      "options are checked before the number",
      [SET("a"), ["EXPIRE", "a", "x", "NX", "XX"]],
      error("ERR NX and XX, GT or LT options at the same time are not compatible"),
    ],
    [
      "options are checked even on a missing key",
      [["EXPIRE", "a", "1", "GT", "LT"]],
      error("ERR GT and LT options at the same time are not compatible"),
    ],
    ["a repeated option is fine", [SET("a"), ["EXPIRE", "a", "10", "NX", "nx"]], 1],
    ["XX XX GT is fine", [SET("a"), ["EXPIRE", "a", "10"], ["EXPIRE", "a", "20", "XX", "GT"]], 1],
    [
      "EXPIRE seconds overflow",
      [SET("a"), ["EXPIRE", "a", "9223372036854775807"]],
      error("ERR invalid expire time in 'expire' command"),
    ],
    [
      "EXPIRE negative overflow",
      [SET("a"), ["EXPIRE", "a", "-9223372036854775808"]],
      error("ERR invalid expire time in 'expire' command"),
    ],
    [
      "PEXPIRE overflow with now added",
      [SET("a"), ["PEXPIRE", "a", "9223372036854775807"]],
      error("ERR invalid expire time in 'pexpire' command"),
    ],
    [
      "EXPIREAT overflow",
      [SET("a"), ["EXPIREAT", "a", "9223372036854776"]],
      error("ERR invalid expire time in 'expireat' command"),
    ],
    // Redis takes any int64 deadline; past 2^53 - 1 ms it would be stored rounded, so it is
    // refused with Redis's own error (MAX_DEADLINE_MS; SECURITY.md lists the difference).
    [
      "EXPIREAT past MAX_DEADLINE_MS",
      [SET("a"), ["EXPIREAT", "a", "9223372036854775"]],
      error("ERR invalid expire time in 'expireat' command"),
    ],
    [
      "PEXPIREAT int64 max",
      [SET("a"), ["PEXPIREAT", "a", "9223372036854775807"]],
      error("ERR invalid expire time in 'pexpireat' command"),
    ],
    [
      "PEXPIREAT 2^53",
      [SET("a"), ["PEXPIREAT", "a", "9007199254740992"]],
      error("ERR invalid expire time in 'pexpireat' command"),
    ],
    [
      "PEXPIREAT 2^53 - 1 is exact",
      [SET("a"), ["PEXPIREAT", "a", "9007199254740991"], ["PEXPIRETIME", "a"]],
      9007199254740991,
    ],
    [
      "GT at the largest deadline compares exactly",
      [SET("a"), ["PEXPIREAT", "a", "9007199254740990"], ["PEXPIREAT", "a", "9007199254740991", "GT"]],
      1,
    ],
    [
      "LT at the largest deadline compares exactly",
      [SET("a"), ["PEXPIREAT", "a", "9007199254740991"], ["PEXPIREAT", "a", "9007199254740990", "LT"]],
      1,
    ],
    [
      "GT with the same largest deadline is refused",
      [SET("a"), ["PEXPIREAT", "a", "9007199254740991"], ["PEXPIREAT", "a", "9007199254740991", "GT"]],
      0,
    ],
    [
      "PEXPIRE past MAX_DEADLINE_MS once now is added",
      [SET("a"), ["PEXPIRE", "a", "9007199254740991"]],
      error("ERR invalid expire time in 'pexpire' command"),
    ],
    [
      "a deadline in the past still deletes",
      [SET("a"), ["PEXPIREAT", "a", "-9223372036854775808"], ["EXISTS", "a"]],
      0,
    ],
    [
      "overflow is checked on a missing key too",
      [["EXPIRE", "a", "9223372036854775807"]],
      error("ERR invalid expire time in 'expire' command"),
    ],
    [
      "integer out of int64",
      [SET("a"), ["PEXPIRE", "a", "9223372036854775808"]],
      error("ERR value is not an integer or out of range"),
    ],
    ["EXPIRE arity", [["EXPIRE", "a"]], error("ERR wrong number of arguments for 'expire' command")],
    // NX / XX / GT / LT
    ["NX without TTL", [SET("a"), ["EXPIRE", "a", "10", "NX"]], 1],
    ["NX with TTL", [SET("a"), ["EXPIRE", "a", "10"], ["EXPIRE", "a", "20", "NX"]], 0],
    ["XX without TTL", [SET("a"), ["EXPIRE", "a", "10", "XX"]], 0],
    ["XX with TTL", [SET("a"), ["EXPIRE", "a", "10"], ["EXPIRE", "a", "20", "XX"]], 1],
    ["GT without TTL (infinite) fails", [SET("a"), ["EXPIRE", "a", "10", "GT"]], 0],
    ["GT greater", [SET("a"), ["EXPIRE", "a", "10"], ["EXPIRE", "a", "20", "GT"]], 1],
    ["GT equal fails", [SET("a"), ["EXPIRE", "a", "10"], ["EXPIRE", "a", "10", "GT"]], 0],
    ["GT smaller fails", [SET("a"), ["EXPIRE", "a", "10"], ["EXPIRE", "a", "5", "GT"]], 0],
    ["LT without TTL (infinite) succeeds", [SET("a"), ["EXPIRE", "a", "10", "LT"]], 1],
    ["LT smaller", [SET("a"), ["EXPIRE", "a", "10"], ["EXPIRE", "a", "5", "LT"]], 1],
    ["LT equal fails", [SET("a"), ["EXPIRE", "a", "10"], ["EXPIRE", "a", "10", "LT"]], 0],
    ["LT greater fails", [SET("a"), ["EXPIRE", "a", "10"], ["EXPIRE", "a", "20", "LT"]], 0],
    ["GT refusal keeps the TTL", [SET("a"), ["EXPIRE", "a", "10"], ["EXPIRE", "a", "5", "GT"], ["TTL", "a"]], 10],
    ["LT lowers the TTL", [SET("a"), ["EXPIRE", "a", "10"], ["EXPIRE", "a", "5", "lt"], ["TTL", "a"]], 5],
    // deadlines in the past delete
    ["EXPIRE 0 deletes", [SET("a"), ["EXPIRE", "a", "0"], ["EXISTS", "a"]], 0],
    ["EXPIRE negative deletes", [SET("a"), ["EXPIRE", "a", "-5"]], 1],
    ["PEXPIREAT in the past deletes", [SET("a"), ["PEXPIREAT", "a", "1000"], ["EXISTS", "a"]], 0],
    ["LT to the past deletes", [SET("a"), ["EXPIRE", "a", "10"], ["EXPIRE", "a", "-1", "LT"], ["EXISTS", "a"]], 0],
    // TTL family
    ["TTL missing", [["TTL", "a"]], -2],
    ["PTTL missing", [["PTTL", "a"]], -2],
    ["EXPIRETIME missing", [["EXPIRETIME", "a"]], -2],
    ["PEXPIRETIME missing", [["PEXPIRETIME", "a"]], -2],
    ["TTL without TTL", [SET("a"), ["TTL", "a"]], -1],
    ["PTTL without TTL", [SET("a"), ["PTTL", "a"]], -1],
    ["EXPIRETIME without TTL", [SET("a"), ["EXPIRETIME", "a"]], -1],
    ["PEXPIRETIME without TTL", [SET("a"), ["PEXPIRETIME", "a"]], -1],
    ["PTTL after PEXPIRE", [SET("a"), ["PEXPIRE", "a", "1234"], ["PTTL", "a"]], 1234],
    ["TTL rounds 1499 ms down", [SET("a"), ["PEXPIRE", "a", "1499"], ["TTL", "a"]], 1],
    ["TTL rounds 1500 ms up", [SET("a"), ["PEXPIRE", "a", "1500"], ["TTL", "a"]], 2],
    ["TTL rounds 499 ms to 0", [SET("a"), ["PEXPIRE", "a", "499"], ["TTL", "a"]], 0],
    ["PEXPIRETIME is absolute", [SET("a"), ["PEXPIREAT", "a", "1780000005000"], ["PEXPIRETIME", "a"]], 1780000005000],
    ["EXPIRETIME is absolute", [SET("a"), ["EXPIREAT", "a", "1780000100"], ["EXPIRETIME", "a"]], 1780000100],
    ["EXPIRETIME rounds", [SET("a"), ["PEXPIREAT", "a", "1780000100500"], ["EXPIRETIME", "a"]], 1780000101],
    ["EXPIRE is relative to now", [SET("a"), ["EXPIRE", "a", "100"], ["PEXPIRETIME", "a"]], 1780000100000],
    [
      "EXPIRETIME of the largest deadline",
      [SET("a"), ["PEXPIREAT", "a", "9007199254740991"], ["EXPIRETIME", "a"]],
      9007199254741,
    ],
    ["SET clears the TTL", [SET("a"), ["EXPIRE", "a", "100"], SET("a"), ["TTL", "a"]], -1],
    // PERSIST
    ["PERSIST missing", [["PERSIST", "a"]], 0],
    ["PERSIST without TTL", [SET("a"), ["PERSIST", "a"]], 0],
    ["PERSIST with TTL", [SET("a"), ["EXPIRE", "a", "10"], ["PERSIST", "a"]], 1],
    ["PERSIST removes the TTL", [SET("a"), ["EXPIRE", "a", "10"], ["PERSIST", "a"], ["TTL", "a"]], -1],
    // SCAN options
    ["SCAN non-numeric cursor", [["SCAN", "abc"]], error("ERR invalid cursor")],
    ["SCAN bad cursor before bad options", [["SCAN", "x", "COUNT", "y"]], error("ERR invalid cursor")],
    ["SCAN unknown cursor", [["SCAN", "987654"]], error("ERR invalid cursor")],
    ["SCAN COUNT 0", [["SCAN", "0", "COUNT", "0"]], error("ERR syntax error")],
    ["SCAN COUNT negative", [["SCAN", "0", "COUNT", "-1"]], error("ERR syntax error")],
    ["SCAN COUNT not integer", [["SCAN", "0", "COUNT", "x"]], error("ERR value is not an integer or out of range")],
    ["SCAN COUNT past the limit", [["SCAN", "0", "COUNT", "100001"]], error("ERR COUNT exceeds the maximum (100000)")],
    ["SCAN option without value", [["SCAN", "0", "TYPE"]], error("ERR syntax error")],
    ["SCAN unknown option", [["SCAN", "0", "FOO", "1"]], error("ERR syntax error")],
    ["SCAN empty keyspace", [["SCAN", "0"]], ["0", []]],
    ["SCAN MATCH", [SET("a1"), SET("a2"), SET("b1"), ["SCAN", "0", "MATCH", "a*"]], ["0", ["a1", "a2"]]],
    ["SCAN MATCH *", [SET("a1"), SET("b1"), ["SCAN", "0", "MATCH", "*"]], ["0", ["a1", "b1"]]],
    ["SCAN TYPE", [SET("s"), ["RPUSH", "l", "x"], ["SCAN", "0", "TYPE", "list"]], ["0", ["l"]]],
    ["SCAN TYPE is case-insensitive", [SET("s"), ["RPUSH", "l", "x"], ["SCAN", "0", "type", "STRING"]], ["0", ["s"]]],
    ["SCAN TYPE unknown matches nothing", [SET("s"), ["SCAN", "0", "TYPE", "stream"]], ["0", []]],
    [
      "SCAN all options",
      [SET("k1"), SET("k2"), ["HSET", "k3", "f", "v"], ["SCAN", "0", "COUNT", "100", "MATCH", "k*", "TYPE", "string"]],
      ["0", ["k1", "k2"]],
    ],
    // KEYS, RANDOMKEY, DBSIZE
    ["KEYS *", [SET("a"), SET("b"), ["KEYS", "*"]], ["a", "b"]],
    ["KEYS glob", [SET("user:1"), SET("user:2"), SET("usr:3"), ["KEYS", "user:[12]"]], ["user:1", "user:2"]],
    ["KEYS escaped", [SET("a*"), SET("ab"), ["KEYS", "a\\*"]], ["a*"]],
    ["KEYS none", [["KEYS", "*"]], []],
    ["RANDOMKEY empty", [["RANDOMKEY"]], null],
    ["RANDOMKEY single", [SET("only"), ["RANDOMKEY"]], "only"],
    ["DBSIZE", [SET("a"), SET("b"), ["DBSIZE"]], 2],
    ["DBSIZE empty", [["DBSIZE"]], 0],
    // FLUSHALL / FLUSHDB
    ["FLUSHALL", [SET("a"), ["FLUSHALL"]], OK],
    ["FLUSHALL empties", [SET("a"), ["FLUSHALL"], ["DBSIZE"]], 0],
    ["FLUSHALL ASYNC", [SET("a"), ["FLUSHALL", "async"], ["DBSIZE"]], 0],
    ["FLUSHALL SYNC", [SET("a"), ["FLUSHALL", "SYNC"]], OK],
    ["FLUSHALL bad option", [["FLUSHALL", "foo"]], error("ERR syntax error")],
    ["FLUSHALL too many options", [["FLUSHALL", "SYNC", "ASYNC"]], error("ERR syntax error")],
    ["FLUSHDB", [SET("a"), ["FLUSHDB", "ASYNC"], ["EXISTS", "a"]], 0],
    ["FLUSHDB bad option", [["FLUSHDB", "a", "b"]], error("ERR syntax error")],
    // COPY
    ["COPY string", [SET("a", "1"), ["COPY", "a", "b"]], 1],
    ["COPY copies the value", [SET("a", "1"), ["COPY", "a", "b"], ["GET", "b"]], "1"],
    ["COPY keeps the source", [SET("a", "1"), ["COPY", "a", "b"], ["GET", "a"]], "1"],
    ["COPY missing source", [["COPY", "a", "b"]], 0],
    ["COPY onto an existing key", [SET("a", "1"), SET("b", "2"), ["COPY", "a", "b"]], 0],
    ["COPY refusal keeps the destination", [SET("a", "1"), SET("b", "2"), ["COPY", "a", "b"], ["GET", "b"]], "2"],
    ["COPY REPLACE", [SET("a", "1"), SET("b", "2"), ["COPY", "a", "b", "REPLACE"], ["GET", "b"]], "1"],
    ["COPY same key", [SET("a"), ["COPY", "a", "a"]], error("ERR source and destination objects are the same")],
    ["COPY same missing key", [["COPY", "a", "a"]], error("ERR source and destination objects are the same")],
    ["COPY DB 0 (the one database)", [SET("a"), ["COPY", "a", "b", "DB", "0"]], 1],
    ["COPY DB 1", [SET("a"), ["COPY", "a", "b", "DB", "1"]], error("ERR DB index is out of range")],
    ["COPY DB negative", [SET("a"), ["COPY", "a", "b", "DB", "-1"]], error("ERR DB index is out of range")],
    [
      "COPY DB not integer",
      [SET("a"), ["COPY", "a", "b", "DB", "x"]],
      error("ERR value is not an integer or out of range"),
    ],
    [
      "COPY DB past int32",
      [SET("a"), ["COPY", "a", "b", "DB", "2147483648"]],
      error("ERR value is not an integer or out of range"),
    ],
    ["COPY DB without index", [SET("a"), ["COPY", "a", "b", "DB"]], error("ERR syntax error")],
    ["COPY unknown option", [SET("a"), ["COPY", "a", "b", "foo"]], error("ERR syntax error")],
    ["COPY options before same-key check", [["COPY", "a", "a", "DB", "3"]], error("ERR DB index is out of range")],
    ["COPY without TTL clears nothing on a new key", [SET("a"), ["COPY", "a", "b"], ["TTL", "b"]], -1],
    [
      "COPY REPLACE clears the destination's TTL",
      [SET("a"), SET("b"), ["EXPIRE", "b", "50"], ["COPY", "a", "b", "REPLACE"], ["TTL", "b"]],
      -1,
    ],
    // OBJECT
    ["OBJECT ENCODING small int", [SET("a", "12"), ["OBJECT", "ENCODING", "a"]], "int"],
    ["OBJECT ENCODING negative int", [SET("a", "-7"), ["OBJECT", "encoding", "a"]], "int"],
    ["OBJECT ENCODING int64 max", [SET("a", "9223372036854775807"), ["OBJECT", "ENCODING", "a"]], "int"],
    ["OBJECT ENCODING past int64", [SET("a", "9223372036854775808"), ["OBJECT", "ENCODING", "a"]], "embstr"],
    ["OBJECT ENCODING leading zero", [SET("a", "012"), ["OBJECT", "ENCODING", "a"]], "embstr"],
    ["OBJECT ENCODING 44 bytes", [SET("a", "x".repeat(44)), ["OBJECT", "ENCODING", "a"]], "embstr"],
    ["OBJECT ENCODING 45 bytes", [SET("a", "x".repeat(45)), ["OBJECT", "ENCODING", "a"]], "raw"],
    ["OBJECT ENCODING empty", [SET("a", ""), ["OBJECT", "ENCODING", "a"]], "embstr"],
    ["OBJECT ENCODING missing", [["OBJECT", "ENCODING", "a"]], null],
    ["OBJECT REFCOUNT", [SET("a"), ["OBJECT", "REFCOUNT", "a"]], 1],
    ["OBJECT REFCOUNT missing", [["OBJECT", "REFCOUNT", "a"]], null],
    ["OBJECT FREQ missing", [["OBJECT", "FREQ", "a"]], null],
    ["OBJECT IDLETIME missing", [["OBJECT", "IDLETIME", "a"]], null],
    ["OBJECT unknown subcommand", [["OBJECT", "Foo", "a"]], error("ERR unknown subcommand 'Foo'. Try OBJECT HELP.")],
    [
      "OBJECT ENCODING arity",
      [["OBJECT", "ENCODING"]],
      error("ERR wrong number of arguments for 'object|encoding' command"),
    ],
    [
      "OBJECT ENCODING too many",
      [["OBJECT", "ENCODING", "a", "b"]],
      error("ERR wrong number of arguments for 'object|encoding' command"),
    ],
    ["OBJECT HELP arity", [["OBJECT", "HELP", "x"]], error("ERR wrong number of arguments for 'object|help' command")],
    ["OBJECT arity", [["OBJECT"]], error("ERR wrong number of arguments for 'object' command")],
  ];
  it.each(cases)("%s", (_name, commands, expected) => {
    const t = createTestStore();
    expect(runPlain(t, ...commands)).toEqual(expected);
  });
});

describe("OBJECT", () => {
  it("FREQ and IDLETIME answer that they are not tracked", () => {
    const t = createTestStore();
    t.ok("SET", "a", "1");
    expect(plainReply(t.run("OBJECT", "FREQ", "a"))).toEqual(
      error(
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
      ),
    );
    expect(plainReply(t.run("OBJECT", "IDLETIME", "a"))).toEqual(
      error("ERR idle time not tracked: this store keeps no per-key access time"),
    );
  });

  it("ENCODING names a container's own structure, or its type when it names none", () => {
    const t = createTestStore();
    putRaw(t, "named", fakeContainer("list", 0, "quicklist"));
    putRaw(t, "plain", fakeContainer("zset", 0));
    expect(t.run("OBJECT", "ENCODING", "named")).toBe("quicklist");
    expect(t.run("OBJECT", "ENCODING", "plain")).toBe("zset");
  });

  it("HELP is an array of status lines", () => {
    const t = createTestStore();
    const help = t.ok("OBJECT", "help") as Reply[];
    expect(help.every((l) => l instanceof Status)).toBe(true);
    const text = help.map((l) => (l as Status).text);
    expect(text[0]).toBe("OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    for (const sub of ["ENCODING <key>", "FREQ <key>", "IDLETIME <key>", "REFCOUNT <key>", "HELP"]) {
      expect(text).toContain(sub);
    }
  });
});

describe("TTL interplay with the clock", () => {
  it("TTL and PTTL count down, then the key is gone", () => {
    const t = createTestStore();
    t.ok("SET", "a", "v");
    t.ok("PEXPIRE", "a", "10000");
    t.clock.advance(2500);
    expect(t.run("PTTL", "a")).toBe(7500);
    expect(t.run("TTL", "a")).toBe(8); // 7.5 s rounds up, as Redis does
    t.clock.advance(7500);
    expect(t.run("PTTL", "a")).toBe(0); // due exactly now: still alive
    expect(t.run("TTL", "a")).toBe(0);
    t.clock.advance(1);
    expect(t.run("PTTL", "a")).toBe(-2);
    expect(t.run("TTL", "a")).toBe(-2);
  });

  it("RENAME carries the TTL and clears the destination's", () => {
    const t = createTestStore();
    t.ok("SET", "a", "1");
    t.ok("PEXPIRE", "a", "5000");
    t.ok("SET", "b", "2");
    t.ok("EXPIRE", "b", "1000");
    t.clock.advance(1000);
    expect(plainReply(t.run("RENAME", "a", "b"))).toEqual(OK);
    expect(t.run("PTTL", "b")).toBe(4000);
    t.ok("SET", "c", "3");
    expect(plainReply(t.run("RENAME", "c", "b"))).toEqual(OK);
    expect(t.run("TTL", "b")).toBe(-1); // c had no TTL, so neither has b now
  });

  it("RENAMENX carries the TTL", () => {
    const t = createTestStore();
    t.ok("SET", "a", "1");
    t.ok("PEXPIRE", "a", "3000");
    expect(t.run("RENAMENX", "a", "b")).toBe(1);
    expect(t.run("PTTL", "b")).toBe(3000);
    t.clock.advance(3001);
    expect(t.run("EXISTS", "b")).toBe(0);
  });

  it("RENAME of an expired source is no such key", () => {
    const t = createTestStore();
    t.ok("SET", "a", "1");
    t.ok("PEXPIRE", "a", "10");
    t.clock.advance(11);
    expect(plainReply(t.run("RENAME", "a", "b"))).toEqual(error("ERR no such key"));
  });

  it("COPY copies the TTL", () => {
    const t = createTestStore();
    t.ok("SET", "a", "1");
    t.ok("PEXPIRE", "a", "9000");
    t.clock.advance(1000);
    expect(t.run("COPY", "a", "b")).toBe(1);
    expect(t.run("PTTL", "b")).toBe(8000);
    expect(t.run("PTTL", "a")).toBe(8000);
  });

  it("GT and LT compare with the remaining deadline, not the original TTL", () => {
    const t = createTestStore();
    t.ok("SET", "a", "1");
    t.ok("EXPIRE", "a", "100");
    t.clock.advance(50_000);
    // 60 s from now is later than the deadline (50 s away): GT succeeds, LT fails.
    expect(t.run("EXPIRE", "a", "60", "LT")).toBe(0);
    expect(t.run("EXPIRE", "a", "60", "GT")).toBe(1);
    expect(t.run("TTL", "a")).toBe(60);
  });

  it("EXPIREAT at exactly now deletes (a deadline not after now)", () => {
    const t = createTestStore();
    t.ok("SET", "a", "1");
    expect(t.run("PEXPIREAT", "a", String(t.clock.now()))).toBe(1);
    expect(t.run("EXISTS", "a")).toBe(0);
    t.ok("SET", "a", "1");
    expect(t.run("PEXPIREAT", "a", String(t.clock.now() + 1))).toBe(1);
    expect(t.run("EXISTS", "a")).toBe(1);
  });

  it("lazy expiry hides keys from EXISTS, TYPE, DBSIZE, SCAN, KEYS, RANDOMKEY, TOUCH", () => {
    const t = createTestStore();
    t.ok("SET", "live", "1");
    t.ok("SET", "dying", "1");
    t.ok("RPUSH", "dying-list", "x");
    t.ok("PEXPIRE", "dying", "100");
    t.ok("PEXPIRE", "dying-list", "100");
    expect(t.run("DBSIZE")).toBe(3);
    t.clock.advance(101);
    expect(t.run("DBSIZE")).toBe(1);
    expect(t.run("KEYS", "*")).toEqual(["live"]);
    expect(t.run("SCAN", "0")).toEqual(["0", ["live"]]);
    expect(t.run("SCAN", "0", "TYPE", "list")).toEqual(["0", []]);
    expect(t.run("EXISTS", "dying", "live")).toBe(1);
    expect(plainReply(t.run("TYPE", "dying-list"))).toEqual(status("none"));
    expect(t.run("TOUCH", "dying", "dying-list", "live")).toBe(1);
    for (let i = 0; i < 20; i++) expect(t.run("RANDOMKEY")).toBe("live");
    expect(t.run("OBJECT", "ENCODING", "dying")).toBe(null);
  });

  it("PERSIST keeps a key past its old deadline", () => {
    const t = createTestStore();
    t.ok("SET", "a", "1");
    t.ok("PEXPIRE", "a", "100");
    expect(t.run("PERSIST", "a")).toBe(1);
    t.clock.advance(1000);
    expect(t.run("GET", "a")).toBe("1");
  });

  it("EXPIRE on an expired key answers 0 and does not revive it", () => {
    const t = createTestStore();
    t.ok("SET", "a", "1");
    t.ok("PEXPIRE", "a", "100");
    t.clock.advance(101);
    expect(t.run("EXPIRE", "a", "100")).toBe(0);
    expect(t.run("PERSIST", "a")).toBe(0);
    expect(t.run("EXISTS", "a")).toBe(0);
  });
});

describe("events", () => {
  const cases: [name: string, setup: string[][], command: string[], events: string[]][] = [
    ["DEL emits del per removed key", [["SET", "a", "1"]], ["DEL", "a", "b", "a"], ["del:a"]],
    ["UNLINK emits del", [["SET", "a", "1"]], ["UNLINK", "a"], ["del:a"]],
    ["EXPIRE emits expire", [["SET", "a", "1"]], ["EXPIRE", "a", "10"], ["expire:a"]],
    ["PEXPIREAT emits expire", [["SET", "a", "1"]], ["PEXPIREAT", "a", "1790000000000"], ["expire:a"]],
    ["EXPIRE into the past emits del", [["SET", "a", "1"]], ["EXPIRE", "a", "-1"], ["del:a"]],
    ["a refused EXPIRE emits nothing", [["SET", "a", "1"]], ["EXPIRE", "a", "10", "XX"], []],
    ["EXPIRE on a missing key emits nothing", [], ["EXPIRE", "a", "10"], []],
    [
      "PERSIST emits persist",
      [
        ["SET", "a", "1"],
        ["EXPIRE", "a", "10"],
      ],
      ["PERSIST", "a"],
      ["persist:a"],
    ],
    ["PERSIST without TTL emits nothing", [["SET", "a", "1"]], ["PERSIST", "a"], []],
    [
      "RENAME emits rename_from, rename_to",
      [["SET", "a", "1"]],
      ["RENAME", "a", "b"],
      ["rename_from:a", "rename_to:b"],
    ],
    ["RENAME same key emits nothing", [["SET", "a", "1"]], ["RENAME", "a", "a"], []],
    [
      "RENAMENX refused emits nothing",
      [
        ["SET", "a", "1"],
        ["SET", "b", "1"],
      ],
      ["RENAMENX", "a", "b"],
      [],
    ],
    ["COPY emits copy_to", [["SET", "a", "1"]], ["COPY", "a", "b"], ["copy_to:b"]],
    [
      "COPY refused emits nothing",
      [
        ["SET", "a", "1"],
        ["SET", "b", "1"],
      ],
      ["COPY", "a", "b"],
      [],
    ],
    ["reads emit nothing", [["SET", "a", "1"]], ["EXISTS", "a"], []],
  ];
  it.each(cases)("%s", (_name, setup, command, events) => {
    const t = createTestStore();
    for (const c of setup) t.ok(...c);
    t.events.length = 0;
    t.run(...command);
    expect(eventsOf(t)).toEqual(events);
  });

  it("lazy expiry emits expired (not del) when DEL meets an expired key", () => {
    const t = createTestStore();
    t.ok("SET", "a", "1");
    t.ok("PEXPIRE", "a", "5");
    t.clock.advance(6);
    t.events.length = 0;
    expect(t.run("DEL", "a")).toBe(0);
    expect(eventsOf(t)).toEqual(["expired:a"]);
    expect(t.events[0]?.class).toBe("expired");
  });

  it("generic events have the generic class", () => {
    const t = createTestStore();
    t.ok("SET", "a", "1");
    t.events.length = 0;
    t.ok("RENAME", "a", "b");
    expect(t.events.map((e) => e.class)).toEqual(["generic", "generic"]);
  });
});

describe("COPY of containers", () => {
  it("copies a list deeply: the copy and the source change independently", () => {
    const t = createTestStore();
    t.ok("RPUSH", "src", "a", "b");
    expect(t.run("COPY", "src", "dst")).toBe(1);
    t.ok("RPUSH", "dst", "c");
    t.ok("LPOP", "src");
    expect(t.run("LRANGE", "src", "0", "-1")).toEqual(["b"]);
    expect(t.run("LRANGE", "dst", "0", "-1")).toEqual(["a", "b", "c"]);
  });

  it("copies a hash deeply", () => {
    const t = createTestStore();
    t.ok("HSET", "src", "f", "1");
    t.ok("COPY", "src", "dst");
    t.ok("HSET", "dst", "f", "2");
    expect(t.run("HGET", "src", "f")).toBe("1");
    expect(t.run("HGET", "dst", "f")).toBe("2");
  });

  it("uses the container's clone()", () => {
    const t = createTestStore();
    const original = fakeContainer("set", 10);
    putRaw(t, "src", original);
    t.ok("COPY", "src", "dst");
    const copy = peek(t, "dst");
    expect(copy).not.toBe(original);
    expect((copy as ContainerValue).type).toBe("set");
  });

  it("REPLACE replaces a value of another type", () => {
    const t = createTestStore();
    t.ok("SET", "src", "x");
    t.ok("RPUSH", "dst", "a");
    expect(t.run("COPY", "src", "dst", "replace")).toBe(1);
    expect(plainReply(t.run("TYPE", "dst"))).toEqual(status("string"));
  });
});

describe("SCAN", () => {
  /** Scans to the end; `between` runs after each page. */
  function scanAll(t: TestStore, args: string[], between?: (page: number) => void): string[] {
    const seen: string[] = [];
    let cursor = "0";
    let page = 0;
    do {
      const [next, keys] = t.ok("SCAN", cursor, ...args) as [string, string[]];
      seen.push(...keys);
      cursor = next;
      between?.(page++);
    } while (cursor !== "0");
    return seen;
  }

  it("returns every key exactly once, page by page", () => {
    const t = createTestStore();
    for (let i = 0; i < 250; i++) t.ok("SET", `k${i}`, "v");
    const seen = scanAll(t, ["COUNT", "7"]);
    expect(seen.length).toBe(250);
    expect(new Set(seen).size).toBe(250);
  });

  it("COUNT bounds the work per call", () => {
    const t = createTestStore();
    for (let i = 0; i < 30; i++) t.ok("SET", `k${i}`, "v");
    const [cursor, keys] = t.ok("SCAN", "0", "COUNT", "10") as [string, string[]];
    expect(cursor).not.toBe("0");
    expect(keys.length).toBe(10);
    const [, defaultPage] = t.ok("SCAN", "0") as [string, string[]];
    expect(defaultPage.length).toBe(10); // the default COUNT is 10
  });

  it("guarantees a full iteration while keys are added and deleted mid-scan", () => {
    const t = createTestStore();
    const N = 500;
    for (let i = 0; i < N; i++) t.ok("SET", `k${i}`, "v");
    const deleted = new Set<string>();
    const added: string[] = [];
    const seen = scanAll(t, ["COUNT", "13"], (page) => {
      // Delete some keys ahead of the scan and some behind it, and add new ones.
      for (const i of [page * 17 + 3, N - 1 - page * 11, page * 5]) {
        const key = `k${i}`;
        if (i >= 0 && i < N && !deleted.has(key)) {
          t.ok("DEL", key);
          deleted.add(key);
        }
      }
      const key = `new${page}`;
      t.ok("SET", key, "v");
      added.push(key);
    });
    // Every key present for the whole scan is returned, and no key twice.
    expect(new Set(seen).size).toBe(seen.length);
    const seenSet = new Set(seen);
    for (let i = 0; i < N; i++) {
      const key = `k${i}`;
      if (!deleted.has(key)) expect(seenSet.has(key), key).toBe(true);
    }
    // Only keys that existed at some point during the scan are returned.
    for (const key of seen) expect(key.startsWith("k") || added.includes(key)).toBe(true);
    expect(deleted.size).toBeGreaterThan(20);
  });

  it("MATCH filters but still advances the cursor over non-matching keys", () => {
    const t = createTestStore();
    for (let i = 0; i < 40; i++) t.ok("SET", i % 4 === 0 ? `hit${i}` : `miss${i}`, "v");
    const seen = scanAll(t, ["MATCH", "hit*", "COUNT", "5"]);
    expect(seen.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `hit${i * 4}`).sort());
  });

  it("skips keys that expire mid-scan", () => {
    const t = createTestStore();
    for (let i = 0; i < 20; i++) t.ok("SET", `k${i}`, "v");
    t.ok("PEXPIRE", "k19", "50");
    const seen = scanAll(t, ["COUNT", "5"], () => t.clock.advance(100));
    expect(seen).not.toContain("k19");
    expect(seen.length).toBe(19);
  });

  it("a finished cursor cannot be resumed", () => {
    const t = createTestStore();
    for (let i = 0; i < 15; i++) t.ok("SET", `k${i}`, "v");
    const [cursor] = t.ok("SCAN", "0", "COUNT", "5") as [string, string[]];
    t.ok("SCAN", cursor, "COUNT", "100");
    expect(plainReply(t.run("SCAN", cursor))).toEqual(error("ERR invalid cursor"));
  });
});

describe("FLUSHALL", () => {
  it("removes keys with and without TTLs, emits no per-key events, and invalidates SCAN cursors", () => {
    const t = createTestStore();
    for (let i = 0; i < 30; i++) t.ok("SET", `k${i}`, "v");
    t.ok("EXPIRE", "k1", "100");
    const [cursor] = t.ok("SCAN", "0", "COUNT", "5") as [string, string[]];
    t.events.length = 0;
    t.ok("FLUSHALL");
    expect(t.events).toEqual([]);
    expect(t.run("DBSIZE")).toBe(0);
    expect(t.run("TTL", "k1")).toBe(-2);
    expect(plainReply(t.run("SCAN", cursor))).toEqual(error("ERR invalid cursor"));
  });

  it("invalidates element scans over collections that are gone", () => {
    const t = createTestStore();
    for (let i = 0; i < 50; i++) t.ok("HSET", "h", `f${i}`, "v");
    const [cursor] = t.ok("HSCAN", "h", "0", "COUNT", "5") as [string, string[]];
    expect(cursor).not.toBe("0");
    t.ok("FLUSHDB");
    t.ok("HSET", "h", "new", "v");
    expect(plainReply(t.run("HSCAN", "h", cursor))).toEqual(error("ERR invalid cursor"));
  });
});

describe("RANDOMKEY", () => {
  it("returns each key over many draws (seeded)", () => {
    const t = createTestStore();
    for (const k of ["a", "b", "c"]) t.ok("SET", k, "v");
    const seen = new Set<unknown>();
    for (let i = 0; i < 100; i++) seen.add(t.run("RANDOMKEY"));
    expect([...seen].sort()).toEqual(["a", "b", "c"]);
  });
});

describe("the command table", () => {
  const table: [name: string, arity: number, flags: string[], first: number, last: number, step: number][] = [
    ["DEL", -2, ["write"], 1, -1, 1],
    ["UNLINK", -2, ["write", "fast"], 1, -1, 1],
    ["EXISTS", -2, ["readonly", "fast"], 1, -1, 1],
    ["TYPE", 2, ["readonly", "fast"], 1, 1, 1],
    ["RENAME", 3, ["write"], 1, 2, 1],
    ["RENAMENX", 3, ["write", "fast"], 1, 2, 1],
    ["EXPIRE", -3, ["write", "fast"], 1, 1, 1],
    ["PEXPIRE", -3, ["write", "fast"], 1, 1, 1],
    ["EXPIREAT", -3, ["write", "fast"], 1, 1, 1],
    ["PEXPIREAT", -3, ["write", "fast"], 1, 1, 1],
    ["TTL", 2, ["readonly", "fast"], 1, 1, 1],
    ["PTTL", 2, ["readonly", "fast"], 1, 1, 1],
    ["EXPIRETIME", 2, ["readonly", "fast"], 1, 1, 1],
    ["PEXPIRETIME", 2, ["readonly", "fast"], 1, 1, 1],
    ["PERSIST", 2, ["write", "fast"], 1, 1, 1],
    ["SCAN", -2, ["readonly", "keyspace"], 0, 0, 0],
    ["KEYS", 2, ["readonly", "keyspace"], 0, 0, 0],
    ["RANDOMKEY", 1, ["readonly", "keyspace"], 0, 0, 0],
    ["DBSIZE", 1, ["readonly", "fast", "keyspace"], 0, 0, 0],
    ["FLUSHALL", -1, ["write", "keyspace"], 0, 0, 0],
    ["FLUSHDB", -1, ["write", "keyspace"], 0, 0, 0],
    ["COPY", -3, ["write", "denyoom"], 1, 2, 1],
    ["TOUCH", -2, ["readonly", "fast"], 1, -1, 1],
    ["OBJECT", -2, ["readonly"], 2, 2, 1],
  ];
  it.each(table)("%s", (name, arity, flags, first, last, step) => {
    const spec = createTestStore().store.commands.get(name);
    expect(spec).toBeDefined();
    expect([spec?.arity, [...(spec?.flags ?? [])], spec?.firstKey, spec?.lastKey, spec?.step]).toEqual([
      arity,
      flags,
      first,
      last,
      step,
    ]);
    expect(spec?.summary.length).toBeGreaterThan(0);
    expect(spec?.complexity.startsWith("O(")).toBe(true);
    expect(spec?.syntax.startsWith(name)).toBe(true);
  });
});
