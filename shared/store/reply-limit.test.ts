import { describe, expect, it } from "vitest";
import { StoreError } from "./errors.js";
import type { Reply } from "./reply.js";
import { checkReply } from "./reply-limit.js";
import { createTestStore, plainReply } from "./testing.js";

/*
 * Every command whose reply size a client chooses, at the reply limit and one past it. The limits
 * are small here (maxReplyElements 10 elements, maxReplyBytes 64 bytes) so the table stays readable; the
 * server's defaults are in SECURITY.md.
 */
const MAX = 10;
const tooMany = (n: number) =>
  `ERR reply too large: ${n} elements (max-reply-elements ${MAX}); ask for less (a range, LIMIT or COUNT) or page with the SCAN family`;
const tooBig = (n: number) =>
  `ERR reply too large: ${n} bytes (max-reply-bytes 64); ask for less (a range, LIMIT or COUNT) or page with the SCAN family`;

function fixture() {
  const t = createTestStore();
  const nine = Array.from({ length: 9 }, (_, i) => `m${i}`);
  t.ok("SADD", "s", "a", "b", "c");
  t.ok("SADD", "big", ...nine);
  t.ok("SADD", "big2", "x", "y");
  t.ok("HSET", "h", "f1", "1", "f2", "2", "f3", "3", "f4", "4", "f5", "5");
  t.ok("HSET", "h6", "f", "6");
  t.ok("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d");
  t.ok("ZADD", "z6", "5", "e", "6", "f");
  t.ok("RPUSH", "l", ...nine);
  t.ok("RPUSH", "l", "x", "y");
  t.ok("HSET", "hh", "f1", "1", "f2", "2", "f3", "3", "f4", "4", "f5", "5", "f6", "6");
  t.ok("SET", "v", "0123456789abcdef0123456789abcdef"); // 32 bytes
  t.ok("SADD", "sv", "0123456789abcdef0123456789abcdef");
  t.store.setLimits({ maxReplyElements: MAX, maxReplyBytes: 64 });
  return t;
}

const ok = Symbol("ok");
type Expect = typeof ok | string;

describe("replies a client sizes", () => {
  it.each<[string, string[], Expect]>([
    // Negative counts: draws no data bounds, refused before drawing (ZRANDMEMBER was not, issue 12).
    ["SRANDMEMBER at the limit", ["SRANDMEMBER", "s", "-10"], ok],
    ["SRANDMEMBER past it", ["SRANDMEMBER", "s", "-11"], tooMany(11)],
    ["SRANDMEMBER of a huge count", ["SRANDMEMBER", "s", "-16777217"], tooMany(16777217)],
    ["HRANDFIELD at the limit", ["HRANDFIELD", "h", "-10"], ok],
    ["HRANDFIELD past it", ["HRANDFIELD", "h", "-11"], tooMany(11)],
    ["HRANDFIELD WITHVALUES counts pairs", ["HRANDFIELD", "h", "-6", "WITHVALUES"], tooMany(12)],
    ["ZRANDMEMBER at the limit", ["ZRANDMEMBER", "z", "-10"], ok],
    ["ZRANDMEMBER past it", ["ZRANDMEMBER", "z", "-16777217"], tooMany(16777217)],
    ["ZRANDMEMBER WITHSCORES counts pairs", ["ZRANDMEMBER", "z", "-6", "WITHSCORES"], tooMany(12)],
    [
      "ZRANDMEMBER keeps Redis's range error first",
      ["ZRANDMEMBER", "z", "-9223372036854775808"],
      "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
    ],
    [
      "ZRANDMEMBER WITHSCORES keeps Redis's narrower range",
      ["ZRANDMEMBER", "z", "-4611686018427387904", "WITHSCORES"],
      "ERR value is out of range",
    ],
    ["ZRANDMEMBER on a missing key draws nothing", ["ZRANDMEMBER", "nokey", "-16777217"], ok],
    // Whole containers and ranges.
    ["LRANGE past the limit", ["LRANGE", "l", "0", "-1"], tooMany(11)],
    ["LRANGE of a range", ["LRANGE", "l", "0", "9"], ok],
    ["SMEMBERS at the limit", ["SMEMBERS", "big"], ok],
    ["HGETALL counts fields and values", ["HGETALL", "h"], ok],
    ["HGETALL past it", ["HGETALL", "hh"], tooMany(12)],
    ["HKEYS of the same hash", ["HKEYS", "hh"], ok],
    ["ZRANGE WITHSCORES within it", ["ZRANGE", "z", "0", "-1", "WITHSCORES"], ok],
    ["ZUNION WITHSCORES past it", ["ZUNION", "2", "z", "z6", "WITHSCORES"], tooMany(12)],
    ["SUNION past the limit", ["SUNION", "big", "big2"], tooMany(11)],
    ["SUNION within it", ["SUNION", "s", "big2"], ok],
    ["SINTER within it", ["SINTER", "big", "big"], ok],
    // Writes that reply arrays refuse before removing anything (checked below: nothing is gone).
    ["SPOP at the limit", ["SPOP", "big", "10"], ok],
    ["LPOP past the limit", ["LPOP", "l", "11"], tooMany(11)],
    ["RPOP at the limit", ["RPOP", "l", "10"], ok],
    ["LMPOP past the limit", ["LMPOP", "1", "l", "LEFT", "COUNT", "9"], tooMany(11)],
    ["ZPOPMIN counts pairs", ["ZPOPMIN", "z6", "6"], ok],
    // Bytes: one value asked for again and again.
    ["MGET within the bytes", ["MGET", "v", "v"], ok],
    ["MGET of one value three times", ["MGET", "v", "v", "v"], tooBig(96)],
    ["HRANDFIELD WITHVALUES, ten draws", ["HRANDFIELD", "h", "-10", "WITHVALUES"], tooMany(20)],
    ["SRANDMEMBER of a large member, bytes", ["SRANDMEMBER", "sv", "-3"], tooBig(96)],
  ])("%s", (_name, argv, expected) => {
    const t = fixture();
    const reply = t.run(...argv);
    if (expected === ok) expect(reply).not.toBeInstanceOf(StoreError);
    else {
      expect(plainReply(reply)).toEqual({ error: expected });
      if (expected.startsWith("ERR reply too large")) expect((reply as StoreError).code).toBe("LIMIT");
    }
  });

  it.each<[string, string[], string[], number, number]>([
    ["LPOP", ["LPOP", "l", "11"], ["LLEN", "l"], 11, 11],
    ["LMPOP", ["LMPOP", "1", "l", "RIGHT", "COUNT", "9"], ["LLEN", "l"], 11, 11],
    ["ZPOPMAX", ["ZPOPMAX", "z", "6"], ["ZCARD", "z"], 12, 6],
  ])("%s refused removes nothing", (_name, pop, size, elements, left) => {
    const t = fixture();
    t.store.setLimits({ maxArgs: 20 });
    t.ok("ZADD", "z", "5", "e", "6", "f");
    t.store.setLimits({ maxArgs: MAX });
    expect(plainReply(t.run(...pop))).toEqual({ error: tooMany(elements) });
    expect(t.run(...size)).toBe(left);
  });

  it("a transaction whose replies pass the limit together is rolled back", async () => {
    const t = fixture();
    await expect(
      t.store.transaction([
        ["SET", "w", "1"],
        ["SMEMBERS", "big"],
        ["LRANGE", "l", "0", "1"],
      ]),
    ).rejects.toMatchObject({ code: "LIMIT", index: 2 });
    expect(t.run("EXISTS", "w")).toBe(0);
    await expect(
      t.store.transaction([
        ["SET", "w", "1"],
        ["LRANGE", "l", "0", "-1"],
      ]),
    ).rejects.toMatchObject({
      code: "LIMIT",
      index: 1,
    });
    expect(t.run("EXISTS", "w")).toBe(0);
    expect(
      await t.store.transaction([
        ["SET", "w", "1"],
        ["SMEMBERS", "s"],
      ]),
    ).toHaveLength(2);
  });

  it("set algebra visits a key named many times once (same result as naming it once)", () => {
    const t = createTestStore();
    const members = Array.from({ length: 1000 }, (_, i) => `m${i}`);
    t.ok("SADD", "s", ...members);
    t.ok("SADD", "t", "m1", "x");
    const many = (n: number, key: string) => Array.from({ length: n }, () => key);
    // 100,000 copies: 10^8 member visits before; now each distinct set is visited once.
    expect((t.ok("SINTER", ...many(100_000, "s")) as string[]).length).toBe(1000);
    expect((t.ok("SUNION", ...many(100_000, "s"), "t") as string[]).length).toBe(1001);
    expect(t.ok("SDIFF", "s", ...many(100_000, "t"))).toHaveLength(999);
    expect(t.ok("SDIFF", "s", ...many(3, "s"))).toEqual([]);
    expect(t.ok("SINTERCARD", "100000", ...many(100_000, "s"))).toBe(1000);
    expect(t.ok("SINTER", "s", "t", "s", "t")).toEqual(["m1"]);
    expect(plainReply(t.run("SINTER", "s", "missing", "s"))).toEqual([]);
    t.ok("SET", "str", "x");
    expect(plainReply(t.run("SUNION", "s", "s", "str"))).toEqual({
      error: "WRONGTYPE Operation against a key holding the wrong kind of value",
    });
  });

  it("sorted-set algebra refuses more than 2^24 member visits (a key named many times counts each time)", () => {
    const t = createTestStore();
    const args = Array.from({ length: 1000 }, (_, i) => [String(i), `m${i}`]).flat();
    t.ok("ZADD", "z", ...args);
    const copies = (n: number) => Array.from({ length: n }, () => "z");
    const message = (cmd: string, visits: number) =>
      `ERR too much work: '${cmd}' would visit ${visits} members (max 16777216); name each key once`;
    expect(plainReply(t.run("ZUNIONSTORE", "d", "16778", ...copies(16_778)))).toEqual({
      error: message("zunionstore", 16_778_000),
    });
    expect(plainReply(t.run("ZINTER", "16778", ...copies(16_778)))).toEqual({ error: message("zinter", 16_778_000) });
    expect(plainReply(t.run("ZINTERCARD", "16778", ...copies(16_778)))).toEqual({
      error: message("zintercard", 16_778_000),
    });
    expect(plainReply(t.run("ZDIFFSTORE", "d", "16778", ...copies(16_778)))).toEqual({
      error: message("zdiffstore", 16_778_000),
    });
    expect(t.run("EXISTS", "d")).toBe(0);
    // Repeats still count, as in Redis: three copies triple the scores.
    expect((t.ok("ZUNION", "3", "z", "z", "z", "WITHSCORES") as string[]).slice(0, 4)).toEqual(["m0", "0", "m1", "3"]);
  });

  it("checkReply counts nested elements and bulk bytes, and leaves non-arrays alone", () => {
    const limits = {
      maxKeyBytes: 1,
      maxValueBytes: 1,
      maxArgs: 1,
      maxReplyElements: 4,
      maxScanCount: 1,
      maxReplyBytes: 5,
    };
    const nested: Reply = ["0", ["a", "b"]];
    expect(checkReply(nested, limits)).toBe(nested);
    expect(() => checkReply(["0", ["a", "b", "c"]], limits)).toThrow(/5 elements/);
    expect(() => checkReply(["abc", "def"], limits)).toThrow(/6 bytes/);
    expect(checkReply("a string longer than the limit", limits)).toBe("a string longer than the limit");
    expect(checkReply(12345, limits)).toBe(12345);
  });

  it("the reply bound is its own: a 300,000-element HGETALL passes with 100,000 arguments a command, a 2^31 count does not", () => {
    const t = createTestStore();
    t.store.setLimits({ maxArgs: 100_000 });
    for (let i = 0; i < 150_000; i += 10_000) {
      const args: string[] = [];
      for (let j = i; j < i + 10_000; j++) args.push(`f${j}`, "v");
      t.ok("HSET", "h", ...args);
    }
    expect((t.ok("HGETALL", "h") as string[]).length).toBe(300_000);
    t.ok("SADD", "s", "a");
    expect(plainReply(t.run("SRANDMEMBER", "s", "-2147483648"))).toEqual({
      error:
        "ERR reply too large: 2147483648 elements (max-reply-elements 1000000); ask for less (a range, LIMIT or COUNT) or page with the SCAN family",
    });
  });
});
