import { describe, expect, it } from "vitest";
import { StoreError } from "./errors.js";
import type { Reply } from "./reply.js";
import { checkReply } from "./reply-limit.js";
import { createTestStore, plainReply } from "./testing.js";

/*
 * Every command whose reply size a client chooses, at the reply limit and one past it. The limits
 * are small here (maxArgs 10 elements, maxReplyBytes 64 bytes) so the table stays readable; the
 * server's defaults are in SECURITY.md.
 */
const MAX = 10;
const tooMany = (n: number) =>
  `ERR reply too large: ${n} elements (max-args ${MAX}); ask for less (a range, LIMIT or COUNT) or page with the SCAN family`;
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
  t.store.setLimits({ maxArgs: MAX, maxReplyBytes: 64 });
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

  it("checkReply counts nested elements and bulk bytes, and leaves non-arrays alone", () => {
    const limits = { maxKeyBytes: 1, maxValueBytes: 1, maxArgs: 4, maxScanCount: 1, maxReplyBytes: 5 };
    const nested: Reply = ["0", ["a", "b"]];
    expect(checkReply(nested, limits)).toBe(nested);
    expect(() => checkReply(["0", ["a", "b", "c"]], limits)).toThrow(/5 elements/);
    expect(() => checkReply(["abc", "def"], limits)).toThrow(/6 bytes/);
    expect(checkReply("a string longer than the limit", limits)).toBe("a string longer than the limit");
    expect(checkReply(12345, limits)).toBe(12345);
  });
});
