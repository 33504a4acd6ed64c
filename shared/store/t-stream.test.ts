import { describe, expect, it } from "vitest";
import { MalformedDataError } from "./byte-io.js";
import type { StoreError } from "./errors.js";
import { OK, type Reply, Status } from "./reply.js";
import type { Arg } from "./store.js";
import { idFromBigints, parseId, parseU64 } from "./stream-id.js";
import type { StreamValue } from "./stream-value.js";
import { createTestStore, err, eventTriples, expectSameReply, peek, type TestStore } from "./testing.js";
import { decodeValue, encodeValue, ValueType } from "./value-codec.js";

/** Runs `setup` (each must succeed), then returns the reply of `command`. */
function replyAfter(setup: Arg[][], command: Arg[]): { t: TestStore; reply: Reply } {
  const t = createTestStore();
  for (const c of setup) t.ok(...c);
  return { t, reply: t.run(...command) };
}

const e = (code: StoreError["code"], message = ""): StoreError => err(code, message);
const ERR = (text: string): StoreError => e("ERR", `ERR ${text}`);
const INVALID_ID = ERR("Invalid stream ID specified as stream command argument");
const A = (id: string, ...fv: string[]): Arg[] => ["XADD", "s", id, ...(fv.length ? fv : ["f", "v"])];
const entry = (id: string, ...fv: string[]): Reply => [id, fv.length ? fv : ["f", "v"]];

describe("stream IDs", () => {
  it.each([
    ["0", 0n],
    ["18446744073709551615", 2n ** 64n - 1n],
    ["007", 7n],
    [" 5", 5n],
    ["+5", 5n],
    ["-0", 0n],
    // strtoull wraps a negative that is not a canonical int64 (Redis's string2ull).
    ["-9223372036854775809", 2n ** 64n - 9223372036854775809n],
  ])("reads %j as Redis's string2ull does", (text, value) => {
    expect(parseU64(text)).toBe(value);
  });

  it.each([["-1"], [""], ["18446744073709551616"], ["1x"], ["0x10"], [" "], ["1 "]])("refuses %j", (text) => {
    expect(parseU64(text)).toBeUndefined();
  });

  it("parses the ID forms and refuses the rest", () => {
    expect(parseId("5", 7n, false).id).toBe(idFromBigints(5n, 7n));
    expect(parseId("5-*", 0n, true, true)).toEqual({ id: idFromBigints(5n, 0n), seqGiven: false });
    expect(() => parseId("5-*", 0n, true)).toThrow(/Invalid stream ID/);
    expect(() => parseId("-", 0n, true)).toThrow(/Invalid stream ID/);
    expect(() => parseId("x".repeat(128), 0n, false)).toThrow(/Invalid stream ID/);
    // Redis reads the argument as a C string: bytes after a NUL are not seen.
    expect(parseId("5\0junk", 0n, false).id).toBe(idFromBigints(5n, 0n));
  });
});

describe("stream commands: replies", () => {
  const cases: [name: string, setup: Arg[][], command: Arg[], expected: Reply][] = [
    ["XADD explicit id", [], A("1-1"), "1-1"],
    ["XADD ms only takes seq 0", [], A("5"), "5-0"],
    ["XADD ms-* after the same ms increments", [A("5-3")], A("5-*"), "5-4"],
    ["XADD ms-* on a new ms starts at 0", [A("5-3")], A("6-*"), "6-0"],
    [
      "XADD ms-* below the top",
      [A("5-3")],
      A("4-*"),
      ERR("The ID specified in XADD is equal or smaller than the target stream top item"),
    ],
    [
      "XADD equal id",
      [A("5-3")],
      A("5-3"),
      ERR("The ID specified in XADD is equal or smaller than the target stream top item"),
    ],
    ["XADD 0-0", [], A("0-0"), ERR("The ID specified in XADD must be greater than 0-0")],
    ["XADD 0-0 creates no key", [], ["EXISTS", "s"], 0],
    ["XADD 0-* is 0-1", [], A("0-*"), "0-1"],
    [
      "XADD odd field/value",
      [],
      ["XADD", "s", "1-1", "f", "v", "g"],
      e("WRONG_ARITY", "ERR wrong number of arguments for 'xadd' command"),
    ],
    [
      "XADD no fields after options",
      [],
      ["XADD", "s", "MAXLEN", "5", "1-1"],
      e("WRONG_ARITY", "ERR wrong number of arguments for 'xadd' command"),
    ],
    ["XADD bad id", [], A("1-x"), INVALID_ID],
    ["XADD - is not an id", [], A("-"), INVALID_ID],
    ["XADD NOMKSTREAM on a missing key", [], ["XADD", "s", "NOMKSTREAM", "*", "f", "v"], null],
    ["XADD NOMKSTREAM on an existing key", [A("1-1")], ["XADD", "s", "NOMKSTREAM", "2-1", "f", "v"], "2-1"],
    ["XADD WRONGTYPE", [["SET", "s", "x"]], A("1-1"), e("WRONGTYPE")],
    [
      "XADD MAXLEN and MINID",
      [],
      ["XADD", "s", "MAXLEN", "1", "MINID", "1", "*", "f", "v"],
      ERR("syntax error, MAXLEN and MINID options at the same time are not compatible"),
    ],
    [
      "XADD negative MAXLEN",
      [],
      ["XADD", "s", "MAXLEN", "-1", "*", "f", "v"],
      ERR("The MAXLEN argument must be >= 0."),
    ],
    [
      "XADD LIMIT without ~",
      [],
      ["XADD", "s", "MAXLEN", "1", "LIMIT", "1", "*", "f", "v"],
      ERR("syntax error, LIMIT cannot be used without the special ~ option"),
    ],
    [
      "XADD LIMIT without strategy",
      [],
      ["XADD", "s", "LIMIT", "1", "*", "f", "v"],
      ERR("syntax error, LIMIT cannot be used without specifying a trimming strategy"),
    ],
    ["XADD MAXLEN trims", [A("1-1"), A("2-1")], ["XADD", "s", "MAXLEN", "1", "3-1", "f", "v"], "3-1"],
    [
      "XADD after the largest id",
      [A("18446744073709551615-18446744073709551615")],
      A("*"),
      ERR("The stream has exhausted the last possible ID, unable to add more items"),
    ],
    [
      "XADD ms-* when seq is exhausted",
      [A("5-18446744073709551615")],
      A("5-*"),
      ERR("The ID specified in XADD is equal or smaller than the target stream top item"),
    ],
    ["XLEN missing", [], ["XLEN", "s"], 0],
    ["XLEN counts", [A("1-1"), A("2-1")], ["XLEN", "s"], 2],
    ["XLEN WRONGTYPE", [["SET", "s", "x"]], ["XLEN", "s"], e("WRONGTYPE")],
    ["XRANGE missing", [], ["XRANGE", "s", "-", "+"], []],
    [
      "XRANGE all",
      [A("1-1", "a", "1"), A("2-1", "b", "2")],
      ["XRANGE", "s", "-", "+"],
      [entry("1-1", "a", "1"), entry("2-1", "b", "2")],
    ],
    ["XRANGE incomplete ids", [A("1-1"), A("2-1"), A("3-0")], ["XRANGE", "s", "2", "2"], [entry("2-1")]],
    ["XRANGE exclusive", [A("1-1"), A("2-1"), A("3-0")], ["XRANGE", "s", "(1-1", "(3-0"], [entry("2-1")]],
    ["XRANGE exclusive +", [], ["XRANGE", "s", "(+", "+"], INVALID_ID],
    [
      "XRANGE exclusive past the max",
      [],
      ["XRANGE", "s", "(18446744073709551615-18446744073709551615", "+"],
      ERR("invalid start ID for the interval"),
    ],
    ["XRANGE exclusive end at 0-0", [], ["XRANGE", "s", "-", "(0-0"], ERR("invalid end ID for the interval")],
    [
      "XRANGE COUNT",
      [A("1-1"), A("2-1"), A("3-0")],
      ["XRANGE", "s", "-", "+", "COUNT", "2"],
      [entry("1-1"), entry("2-1")],
    ],
    ["XRANGE COUNT 0 is a null array", [A("1-1")], ["XRANGE", "s", "-", "+", "COUNT", "0"], null],
    ["XRANGE negative COUNT is 0", [A("1-1")], ["XRANGE", "s", "-", "+", "COUNT", "-5"], null],
    ["XRANGE syntax", [A("1-1")], ["XRANGE", "s", "-", "+", "COUNT"], e("SYNTAX")],
    ["XRANGE start after end", [A("1-1")], ["XRANGE", "s", "5", "1"], []],
    ["XRANGE WRONGTYPE", [["SET", "s", "x"]], ["XRANGE", "s", "-", "+"], e("WRONGTYPE")],
    ["XRANGE bad id before WRONGTYPE", [["SET", "s", "x"]], ["XRANGE", "s", "x", "+"], INVALID_ID],
    [
      "XREVRANGE",
      [A("1-1"), A("2-1"), A("3-0")],
      ["XREVRANGE", "s", "+", "-", "COUNT", "2"],
      [entry("3-0"), entry("2-1")],
    ],
    ["XREVRANGE exclusive", [A("1-1"), A("2-1"), A("3-0")], ["XREVRANGE", "s", "(3-0", "(1-1"], [entry("2-1")]],
    ["XDEL", [A("1-1"), A("2-1")], ["XDEL", "s", "1-1", "1-1", "9-9"], 1],
    ["XDEL missing key", [], ["XDEL", "s", "1-1"], 0],
    ["XDEL bad id deletes nothing", [A("1-1")], ["XDEL", "s", "1-1", "x"], INVALID_ID],
    ["XDEL keeps an empty stream", [A("1-1"), ["XDEL", "s", "1-1"]], ["TYPE", "s"], new Status("stream")],
    ["XTRIM MAXLEN", [A("1-1"), A("2-1"), A("3-1")], ["XTRIM", "s", "MAXLEN", "1"], 2],
    ["XTRIM MINID", [A("1-1"), A("2-1"), A("3-1")], ["XTRIM", "s", "MINID", "=", "2"], 1],
    ["XTRIM ~ keeps a partial node", [A("1-1"), A("2-1"), A("3-1")], ["XTRIM", "s", "MAXLEN", "~", "1"], 0],
    [
      "XTRIM LIMIT without strategy",
      [],
      ["XTRIM", "s", "LIMIT", "1"],
      ERR("syntax error, LIMIT cannot be used without specifying a trimming strategy"),
    ],
    [
      "XTRIM LIMIT 0 without strategy",
      [],
      ["XTRIM", "s", "LIMIT", "0"],
      ERR("syntax error, XTRIM must be called with a trimming strategy"),
    ],
    ["XTRIM bad option", [], ["XTRIM", "s", "FOO", "1"], e("SYNTAX")],
    ["XTRIM missing key", [], ["XTRIM", "s", "MAXLEN", "1"], 0],
    ["XTRIM MINID -", [], ["XTRIM", "s", "MINID", "-"], INVALID_ID],
    ["XSETID", [A("1-1")], ["XSETID", "s", "5-0"], OK],
    [
      "XSETID below the top",
      [A("5-1")],
      ["XSETID", "s", "5-0"],
      ERR("The ID specified in XSETID is smaller than the target stream top item"),
    ],
    ["XSETID missing key", [], ["XSETID", "s", "5-0"], e("NO_SUCH_KEY", "ERR no such key")],
    [
      "XSETID ENTRIESADDED below length",
      [A("1-1"), A("2-1")],
      ["XSETID", "s", "5-0", "ENTRIESADDED", "1"],
      ERR("The entries_added specified in XSETID is smaller than the target stream length"),
    ],
    [
      "XSETID negative ENTRIESADDED",
      [A("1-1")],
      ["XSETID", "s", "5-0", "ENTRIESADDED", "-1"],
      ERR("entries_added must be positive"),
    ],
    [
      "XSETID MAXDELETEDID above id",
      [A("1-1")],
      ["XSETID", "s", "5-0", "MAXDELETEDID", "6-0"],
      ERR("The ID specified in XSETID is smaller than the provided max_deleted_entry_id"),
    ],
    ["XSETID then XADD ms-*", [A("1-1"), ["XSETID", "s", "7-3"]], A("7-*"), "7-4"],
  ];
  it.each(cases)("%s", (_name, setup, command, expected) => {
    expectSameReply(replyAfter(setup, command).reply, expected);
  });
});

describe("stream structure", () => {
  it("splits blocks as Redis's nodes: 100 entries, or 4096 listpack bytes", () => {
    const t = createTestStore();
    for (let i = 1; i <= 250; i++) t.ok("XADD", "s", `${i}-1`, "f", "v");
    const s = peek(t, "s") as StreamValue;
    expect(s.blocks.map((b) => b.count)).toEqual([100, 100, 50]);
    for (let i = 1; i <= 10; i++) t.ok("XADD", "big", `${i}-1`, "f", "x".repeat(1000));
    expect((peek(t, "big") as StreamValue).blocks.map((b) => b.count)).toEqual([4, 4, 2]);
    // Approximate trimming removes whole blocks only.
    expect(t.ok("XTRIM", "s", "MAXLEN", "~", "120")).toBe(100);
    expect(t.ok("XLEN", "s")).toBe(150);
    expect(t.ok("XTRIM", "s", "MAXLEN", "~", "0", "LIMIT", "99")).toBe(0);
  });

  it("ranges across blocks and tombstones, both ways", () => {
    const t = createTestStore();
    for (let i = 1; i <= 350; i++) t.ok("XADD", "s", `${i}-0`, "n", String(i));
    for (let i = 1; i <= 350; i += 3) t.ok("XDEL", "s", `${i}-0`);
    const want = [];
    for (let i = 1; i <= 350; i++) if ((i - 1) % 3 !== 0) want.push(i);
    const fwd = t.ok("XRANGE", "s", "50", "300") as [string, string[]][];
    expect(fwd.map((e) => Number(e[1][1]))).toEqual(want.filter((i) => i >= 50 && i <= 300));
    const rev = t.ok("XREVRANGE", "s", "300", "50", "COUNT", "7") as [string, string[]][];
    expect(rev.map((e) => Number(e[1][1]))).toEqual(
      want
        .filter((i) => i >= 50 && i <= 300)
        .reverse()
        .slice(0, 7),
    );
    expect(t.ok("XLEN", "s")).toBe(want.length);
  });

  it("keeps the TTL on XADD to an existing stream, and a new stream has none", () => {
    const t = createTestStore();
    t.ok("XADD", "s", "1-1", "f", "v");
    expect(t.ok("PTTL", "s")).toBe(-1);
    t.ok("PEXPIRE", "s", "1000");
    t.ok("XADD", "s", "2-1", "f", "v");
    t.ok("XDEL", "s", "1-1");
    t.ok("XTRIM", "s", "MAXLEN", "0");
    expect(t.ok("PTTL", "s")).toBe(1000);
    t.clock.advance(1001);
    expect(t.ok("XLEN", "s")).toBe(0);
    expect(t.ok("EXISTS", "s")).toBe(0);
  });

  it("emits Redis's events", () => {
    const t = createTestStore();
    t.ok("XADD", "s", "1-1", "f", "v");
    t.ok("XADD", "s", "MAXLEN", "1", "2-1", "f", "v");
    t.ok("XDEL", "s", "2-1");
    t.ok("XDEL", "s", "2-1");
    t.ok("XADD", "s", "3-1", "f", "v");
    t.ok("XADD", "s", "4-1", "f", "v");
    t.ok("XTRIM", "s", "MAXLEN", "1");
    t.ok("XTRIM", "s", "MAXLEN", "1");
    t.ok("XSETID", "s", "9-9");
    expect(eventTriples(t)).toEqual([
      ["stream", "xadd", "s"],
      ["stream", "xadd", "s"],
      ["stream", "xtrim", "s"],
      ["stream", "xdel", "s"],
      ["stream", "xadd", "s"],
      ["stream", "xadd", "s"],
      ["stream", "xtrim", "s"],
      ["stream", "xsetid", "s"],
    ]);
  });

  it("reports its type, encoding and a memory estimate that grows with entries", () => {
    const t = createTestStore();
    t.ok("XADD", "s", "1-1", "f", "v");
    expect(t.ok("TYPE", "s")).toMatchObject({ text: "stream" });
    expect(t.ok("OBJECT", "ENCODING", "s")).toBe("stream");
    const one = t.ok("MEMORY", "USAGE", "s") as number;
    for (let i = 2; i <= 1000; i++) t.ok("XADD", "s", `${i}-1`, "f", "value");
    const many = t.ok("MEMORY", "USAGE", "s") as number;
    expect(many).toBeGreaterThan(one + 999 * 16);
    expect(t.ok("SCAN", "0", "TYPE", "stream")).toEqual(["0", ["s"]]);
  });

  it("COPY and RENAME carry a stream, and a copy is independent", () => {
    const t = createTestStore();
    t.ok("XADD", "s", "1-1", "f", "v");
    t.ok("COPY", "s", "c");
    t.ok("XADD", "c", "2-1", "f", "v");
    expect(t.ok("XLEN", "s")).toBe(1);
    expect(t.ok("XLEN", "c")).toBe(2);
    t.ok("RENAME", "c", "d");
    expect(t.ok("XLEN", "d")).toBe(2);
  });
});

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

describe("stream codec", () => {
  /** A stream with two entries in one block, one of them deleted, last id moved by XSETID. */
  function sample(): StreamValue {
    const t = createTestStore();
    t.ok("XADD", "s", "1-1", "f", "v");
    t.ok("XADD", "s", "2-0", "f", "w", "g", "1");
    t.ok("XDEL", "s", "1-1");
    t.ok("XSETID", "s", "5-0");
    return peek(t, "s") as StreamValue;
  }

  it("encodes a stream byte for byte (the persistence format must not drift)", () => {
    const { type, body } = encodeValue(sample());
    expect(type).toBe(ValueType.STREAM);
    expect(hex(body)).toBe(
      // lastId 5-0, maxDeletedId 1-1, entriesAdded 2
      "0000000000000005" +
        "0000000000000000" +
        "0000000000000001" +
        "0000000000000001" +
        "4000000000000000" +
        // one block of two entries: 1-1 deleted [f v]; 2-0 [f w g 1]
        "00000001" +
        "00000002" +
        "00000000000000010000000000000001" +
        "01" +
        "00000002" +
        "0000000166" +
        "0000000176" +
        "00000000000000020000000000000000" +
        "00" +
        "00000004" +
        "0000000166" +
        "0000000177" +
        "0000000167" +
        "0000000131" +
        // no groups
        "00000000",
    );
  });

  it("round-trips blocks, tombstones and counters", () => {
    const t = createTestStore();
    for (let i = 1; i <= 230; i++) t.ok("XADD", "s", `${i}-0`, "f", String(i), ...(i % 7 === 0 ? ["g", "x"] : []));
    for (let i = 5; i <= 230; i += 11) t.ok("XDEL", "s", `${i}-0`);
    t.ok("XTRIM", "s", "MINID", "3");
    const s = peek(t, "s") as StreamValue;
    const back = decodeValue(ValueType.STREAM, encodeValue(s).body) as StreamValue;
    expect(back.blocks.map((b) => [b.count, b.live])).toEqual(s.blocks.map((b) => [b.count, b.live]));
    expect([back.length, back.lastId, back.firstId, back.maxDeletedId, back.entriesAdded]).toEqual([
      s.length,
      s.lastId,
      s.firstId,
      s.maxDeletedId,
      s.entriesAdded,
    ]);
    expect(back.range("", "\uffff".repeat(8), 0, false)).toEqual(s.range("", "\uffff".repeat(8), 0, false));
    expect(hex(encodeValue(back).body)).toBe(hex(encodeValue(s).body));
    // The reloaded (sealed) tail block takes new entries.
    back.append(idFromBigints(999n, 0n), ["f", "new"]);
    expect(back.range("", "\uffff".repeat(8), 1, true)).toEqual([
      { id: idFromBigints(999n, 0n), fields: ["f", "new"] },
    ]);
    expect(back.blocks.length).toBe(s.blocks.length);
  });

  it("refuses truncated bodies, trailing bytes, IDs out of order and empty entries", () => {
    const { body } = encodeValue(sample());
    for (let cut = 0; cut < body.length; cut++) {
      expect(() => decodeValue(ValueType.STREAM, body.subarray(0, cut))).toThrow(MalformedDataError);
    }
    expect(() => decodeValue(ValueType.STREAM, new Uint8Array([...body, 0]))).toThrow(MalformedDataError);
    const swapped = body.slice();
    // Make the second entry's ms 0 (before the first): out of order.
    swapped[86] = 0;
    expect(() => decodeValue(ValueType.STREAM, swapped)).toThrow(MalformedDataError);
  });
});
