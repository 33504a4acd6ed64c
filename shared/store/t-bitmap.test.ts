import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "./command.js";
import { createTestStore, plainError as error, peek, runPlain } from "./testing.js";

/*
 * Bitmap commands, table-driven from Redis 7.0's documented behaviour (test/redis-compat has the
 * differential against redis-server for random sequences).
 */

const OFFSET_ERR = error("ERR bit offset is not an integer or out of range");
const TYPE_ERR = error(
  "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
);
/** Arguments as raw bytes: a JS string argument would be UTF-8 encoded (`\xff` → 2 bytes). */
const raw = (commands: string[][]): Uint8Array[][] =>
  commands.map((c) => c.map((a) => Uint8Array.from(a, (ch) => ch.charCodeAt(0))));

const WRONGTYPE = error("WRONGTYPE Operation against a key holding the wrong kind of value");

describe("bitmap replies (table)", () => {
  const cases: [name: string, commands: string[][], expected: unknown][] = [
    // SETBIT / GETBIT
    ["SETBIT returns the old bit", [["SETBIT", "k", "7", "1"]], 0],
    [
      "SETBIT then GETBIT",
      [
        ["SETBIT", "k", "7", "1"],
        ["GETBIT", "k", "7"],
      ],
      1,
    ],
    [
      "SETBIT bit 0 is the high bit",
      [
        ["SETBIT", "k", "0", "1"],
        ["GET", "k"],
      ],
      "\x80",
    ],
    [
      "SETBIT grows with zero bytes",
      [
        ["SETBIT", "k", "17", "1"],
        ["GET", "k"],
      ],
      "\x00\x00\x40",
    ],
    [
      "SETBIT clearing grows too",
      [
        ["SETBIT", "k", "15", "0"],
        ["STRLEN", "k"],
      ],
      2,
    ],
    ["SETBIT value 2", [["SETBIT", "k", "1", "2"]], error("ERR bit is not an integer or out of range")],
    ["SETBIT value empty", [["SETBIT", "k", "1", ""]], error("ERR bit is not an integer or out of range")],
    ["SETBIT negative offset", [["SETBIT", "k", "-1", "1"]], OFFSET_ERR],
    ["SETBIT offset not a number", [["SETBIT", "k", "x", "1"]], OFFSET_ERR],
    ["SETBIT offset at 512 MB", [["SETBIT", "k", "4294967296", "1"]], OFFSET_ERR],
    ["SETBIT # is not allowed", [["SETBIT", "k", "#1", "1"]], OFFSET_ERR],
    [
      "SETBIT on a list",
      [
        ["RPUSH", "k", "a"],
        ["SETBIT", "k", "1", "1"],
      ],
      WRONGTYPE,
    ],
    ["GETBIT missing key", [["GETBIT", "k", "100"]], 0],
    [
      "GETBIT past the end",
      [
        ["SET", "k", "\xff"],
        ["GETBIT", "k", "8"],
      ],
      0,
    ],
    [
      "GETBIT bad offset first",
      [
        ["RPUSH", "k", "a"],
        ["GETBIT", "k", "-1"],
      ],
      OFFSET_ERR,
    ],
    [
      "GETBIT on a list",
      [
        ["RPUSH", "k", "a"],
        ["GETBIT", "k", "1"],
      ],
      WRONGTYPE,
    ],
    // BITCOUNT
    [
      "BITCOUNT whole string",
      [
        ["SET", "k", "foobar"],
        ["BITCOUNT", "k"],
      ],
      26,
    ],
    [
      "BITCOUNT bytes",
      [
        ["SET", "k", "foobar"],
        ["BITCOUNT", "k", "1", "1"],
      ],
      6,
    ],
    [
      "BITCOUNT negative bytes",
      [
        ["SET", "k", "foobar"],
        ["BITCOUNT", "k", "-2", "-1"],
      ],
      7,
    ],
    [
      "BITCOUNT bits",
      [
        ["SET", "k", "foobar"],
        ["BITCOUNT", "k", "5", "30", "BIT"],
      ],
      17,
    ],
    [
      "BITCOUNT bits lower case",
      [
        ["SET", "k", "foobar"],
        ["BITCOUNT", "k", "5", "30", "bit"],
      ],
      17,
    ],
    [
      "BITCOUNT inverted negative range",
      [
        ["SET", "k", "foobar"],
        ["BITCOUNT", "k", "-1", "-2", "BAD"],
      ],
      0,
    ],
    [
      "BITCOUNT start past end",
      [
        ["SET", "k", "foobar"],
        ["BITCOUNT", "k", "10", "20"],
      ],
      0,
    ],
    ["BITCOUNT missing key", [["BITCOUNT", "k", "0", "x"]], 0],
    [
      "BITCOUNT one index",
      [
        ["SET", "k", "a"],
        ["BITCOUNT", "k", "0"],
      ],
      error("ERR syntax error"),
    ],
    [
      "BITCOUNT bad unit",
      [
        ["SET", "k", "a"],
        ["BITCOUNT", "k", "0", "1", "BITS"],
      ],
      error("ERR syntax error"),
    ],
    [
      "BITCOUNT bad index",
      [
        ["SET", "k", "a"],
        ["BITCOUNT", "k", "0", "z"],
      ],
      error("ERR value is not an integer or out of range"),
    ],
    [
      "BITCOUNT int64 extremes",
      [
        ["SET", "k", "\xff"],
        ["BITCOUNT", "k", "-9223372036854775808", "9223372036854775807"],
      ],
      8,
    ],
    [
      "BITCOUNT on a hash",
      [
        ["HSET", "k", "f", "v"],
        ["BITCOUNT", "k"],
      ],
      WRONGTYPE,
    ],
    // BITPOS
    [
      "BITPOS first set bit",
      [
        ["SET", "k", "\xff\xf0\x00"],
        ["BITPOS", "k", "0"],
      ],
      12,
    ],
    [
      "BITPOS from byte 2",
      [
        ["SET", "k", "\x00\xff\xf0"],
        ["BITPOS", "k", "1", "2"],
      ],
      16,
    ],
    [
      "BITPOS bit range",
      [
        ["SET", "k", "\x00\xff\xf0"],
        ["BITPOS", "k", "1", "7", "15", "BIT"],
      ],
      8,
    ],
    [
      "BITPOS no clear bit, no end: the padding",
      [
        ["SET", "k", "\xff\xff\xff"],
        ["BITPOS", "k", "0"],
      ],
      24,
    ],
    [
      "BITPOS no clear bit in an explicit range",
      [
        ["SET", "k", "\xff\xff\xff"],
        ["BITPOS", "k", "0", "0", "-1"],
      ],
      -1,
    ],
    [
      "BITPOS no set bit",
      [
        ["SET", "k", "\x00\x00"],
        ["BITPOS", "k", "1"],
      ],
      -1,
    ],
    ["BITPOS missing key, 0", [["BITPOS", "k", "0"]], 0],
    ["BITPOS missing key, 1", [["BITPOS", "k", "1"]], -1],
    [
      "BITPOS empty string",
      [
        ["SET", "k", ""],
        ["BITPOS", "k", "0"],
      ],
      -1,
    ],
    ["BITPOS bit 2", [["BITPOS", "k", "2"]], error("ERR The bit argument must be 1 or 0.")],
    [
      "BITPOS bad unit",
      [
        ["SET", "k", "a"],
        ["BITPOS", "k", "1", "0", "1", "X"],
      ],
      error("ERR syntax error"),
    ],
    // BITOP
    [
      "BITOP AND",
      [
        ["SET", "a", "\xff\x0f"],
        ["SET", "b", "\x0f"],
        ["BITOP", "AND", "d", "a", "b"],
        ["GET", "d"],
      ],
      "\x0f\x00",
    ],
    [
      "BITOP OR length",
      [
        ["SET", "a", "\x01"],
        ["SET", "b", "\x02\x03"],
        ["BITOP", "or", "d", "a", "b"],
      ],
      2,
    ],
    [
      "BITOP XOR",
      [
        ["SET", "a", "\x03"],
        ["SET", "b", "\x01"],
        ["BITOP", "XOR", "d", "a", "b"],
        ["GET", "d"],
      ],
      "\x02",
    ],
    [
      "BITOP NOT",
      [
        ["SET", "a", "\x0f\xf0"],
        ["BITOP", "NOT", "d", "a"],
        ["GET", "d"],
      ],
      "\xf0\x0f",
    ],
    [
      "BITOP NOT two keys",
      [["BITOP", "NOT", "d", "a", "b"]],
      error("ERR BITOP NOT must be called with a single source key."),
    ],
    ["BITOP unknown op", [["BITOP", "NAND", "d", "a"]], error("ERR syntax error")],
    [
      "BITOP of nothing deletes dest",
      [
        ["SET", "d", "x"],
        ["BITOP", "OR", "d", "nope"],
        ["EXISTS", "d"],
      ],
      0,
    ],
    [
      "BITOP source of a wrong type",
      [
        ["RPUSH", "l", "a"],
        ["BITOP", "OR", "d", "l"],
      ],
      WRONGTYPE,
    ],
    [
      "BITOP dest of another type is overwritten",
      [
        ["RPUSH", "d", "a"],
        ["SET", "a", "x"],
        ["BITOP", "OR", "d", "a"],
        ["TYPE", "d"],
      ],
      { status: "string" },
    ],
    // BITFIELD
    [
      "BITFIELD SET then GET",
      [["BITFIELD", "k", "SET", "i8", "0", "-100", "GET", "i8", "0", "GET", "u8", "0"]],
      [0, -100, 156],
    ],
    ["BITFIELD # offsets", [["BITFIELD", "k", "SET", "u8", "#1", "255", "GET", "u16", "0"]], [0, 255]],
    ["BITFIELD INCRBY wraps", [["BITFIELD", "k", "SET", "u8", "0", "250", "INCRBY", "u8", "0", "10"]], [0, 4]],
    ["BITFIELD INCRBY saturates", [["BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "1000"]], [127]],
    [
      "BITFIELD INCRBY fails",
      [["BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "4", "GET", "u2", "0"]],
      [null, 0],
    ],
    [
      "BITFIELD i64 extremes",
      [["BITFIELD", "k", "SET", "i64", "0", "-9223372036854775808", "INCRBY", "i64", "0", "-1"]],
      [0, "9223372036854775807n"],
    ],
    ["BITFIELD u63 max", [["BITFIELD", "k", "SET", "u63", "0", "-1", "GET", "u63", "0"]], [0, "9223372036854775807n"]],
    ["BITFIELD u64 refused", [["BITFIELD", "k", "GET", "u64", "0"]], TYPE_ERR],
    ["BITFIELD upper-case type refused", [["BITFIELD", "k", "GET", "I8", "0"]], TYPE_ERR],
    ["BITFIELD bad overflow", [["BITFIELD", "k", "OVERFLOW", "NOPE"]], error("ERR Invalid OVERFLOW type specified")],
    ["BITFIELD missing argument", [["BITFIELD", "k", "GET", "i8"]], error("ERR syntax error")],
    ["BITFIELD no ops", [["BITFIELD", "k"]], []],
    ["BITFIELD GET of a missing key", [["BITFIELD", "k", "GET", "u4", "0"]], [0]],
    [
      "BITFIELD on a set",
      [
        ["SADD", "k", "a"],
        ["BITFIELD", "k", "GET", "u4", "0"],
      ],
      WRONGTYPE,
    ],
    [
      "BITFIELD_RO GET",
      [
        ["SET", "k", "\xff"],
        ["BITFIELD_RO", "k", "GET", "u4", "0"],
      ],
      [15],
    ],
    [
      "BITFIELD_RO refuses SET",
      [["BITFIELD_RO", "k", "SET", "u4", "0", "1"]],
      error("ERR BITFIELD_RO only supports the GET subcommand"),
    ],
  ];
  for (const [name, commands, expected] of cases) {
    it(name, () => {
      expect(runPlain(createTestStore(), ...raw(commands))).toEqual(expected);
    });
  }
});

describe("bitmap events and TTL", () => {
  it("SETBIT notifies only when the value changes (as Redis 7.0), keeps the TTL", () => {
    const t = createTestStore();
    t.ok("SET", "k", "\x00", "EX", "100");
    t.events.length = 0;
    t.ok("SETBIT", "k", "0", "1");
    t.ok("SETBIT", "k", "0", "1");
    t.ok("SETBIT", "k", "15", "0");
    expect(t.events.map((e) => `${e.event}:${e.key}`)).toEqual(["setbit:k", "setbit:k"]);
    expect(t.run("TTL", "k")).toBe(100);
  });

  it("BITOP replaces the destination's TTL and notifies set / del", () => {
    const t = createTestStore();
    t.ok("SET", "d", "x", "EX", "100");
    t.ok("SET", "a", "y");
    t.events.length = 0;
    t.ok("BITOP", "OR", "d", "a");
    expect(t.run("TTL", "d")).toBe(-1);
    t.ok("BITOP", "OR", "d", "none");
    expect(t.events.map((e) => `${e.event}:${e.key}`)).toEqual(["set:d", "del:d"]);
  });

  it("an expired key reads as missing", () => {
    const t = createTestStore();
    t.ok("SET", "k", "\xff", "PX", "10");
    t.clock.advance(20);
    expect(t.run("BITCOUNT", "k")).toBe(0);
    expect(t.run("SETBIT", "k", "3", "1")).toBe(0);
    expect(peek(t, "k")).toBe("\x10");
  });
});

describe("bitmap limits", () => {
  it("refuses an offset past the longest string (max-value-bytes), as Redis past proto-max-bulk-len", () => {
    const t = createTestStore({ limits: { ...DEFAULT_LIMITS, maxValueBytes: 1024 } });
    expect(runPlain(t, ["SETBIT", "k", String(1024 * 8 - 1), "1"])).toBe(0);
    expect(runPlain(t, ["SETBIT", "k", String(1024 * 8), "1"])).toEqual(OFFSET_ERR);
    expect(runPlain(t, ["BITFIELD", "k", "SET", "u8", "#1024", "1"])).toEqual(OFFSET_ERR);
    // The field's last bit may pass the limit by up to 63 bits: the string may not.
    expect(runPlain(t, ["BITFIELD", "k", "SET", "u16", String(1024 * 8 - 8), "1"])).toEqual(
      error("ERR string exceeds maximum allowed size (proto-max-bulk-len)"),
    );
  });
});
