import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import {
  type LexBound,
  type ScoreBound,
  ScoreEnd,
  ZAddComparison,
  ZAddCondition,
} from "../gen/memorabilia/v1/sorted_sets_service_pb.js";
import { b, createTestApi, rpcError, s, type TestApi } from "./testing.js";

type ScoreBoundInit = Pick<ScoreBound, "bound">;
type LexBoundInit = Pick<LexBound, "bound">;
const incl = (value: number): ScoreBoundInit => ({ bound: { case: "inclusive", value } });
const excl = (value: number): ScoreBoundInit => ({ bound: { case: "exclusive", value } });
const open: ScoreBoundInit = { bound: { case: "unbounded", value: true } };
const lexIncl = (m: string): LexBoundInit => ({ bound: { case: "inclusive", value: b(m) } });
const lexExcl = (m: string): LexBoundInit => ({ bound: { case: "exclusive", value: b(m) } });
const lexOpen: LexBoundInit = { bound: { case: "unbounded", value: true } };
const texts = (list: Uint8Array[]) => list.map((x) => s(x));

/** z: a=1 b=2 c=3 d=4 e=5; lex: letters at score 0. */
function seeded(): TestApi {
  const api = createTestApi();
  api.ok("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e");
  api.ok("ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d");
  return api;
}

describe("SortedSetsService", () => {
  it("ZAdd with options: NX, XX, GT, CH, INCR (nil when refused)", async () => {
    const api = createTestApi();
    const m = (member: string, score: number) => ({ member: b(member), score });
    expect((await api.zsets.zAdd({ key: "z", members: [m("a", 1), m("b", 2)] })).count).toBe(2n);
    const nx = await api.zsets.zAdd({ key: "z", members: [m("a", 9), m("c", 3)], condition: ZAddCondition.NX });
    expect(nx.count).toBe(1n);
    expect(api.ok("ZSCORE", "z", "a")).toBe("1");
    const gtCh = await api.zsets.zAdd({
      key: "z",
      members: [m("a", 0), m("b", 5)],
      comparison: ZAddComparison.GT,
      changed: true,
    });
    expect(gtCh.count).toBe(1n);
    expect(api.ok("ZSCORE", "z", "b")).toBe("5");
    const incr = await api.zsets.zAdd({ key: "z", members: [m("a", 2.5)], incr: true });
    expect(incr).toMatchObject({ count: 0n, score: 3.5 });
    const refused = await api.zsets.zAdd({ key: "z", members: [m("new", 1)], incr: true, condition: ZAddCondition.XX });
    expect(refused.score).toBeUndefined();
    const e = await rpcError(
      api.zsets.zAdd({ key: "z", members: [m("a", 1)], condition: ZAddCondition.NX, comparison: ZAddComparison.GT }),
    );
    expect(e.code).toBe(Code.InvalidArgument);
    expect((await rpcError(api.zsets.zAdd({ key: "z", members: [m("a", Number.NaN)] }))).code).toBe(
      Code.InvalidArgument,
    );
  });

  it("ZAdd keeps infinite scores", async () => {
    const api = createTestApi();
    await api.zsets.zAdd({ key: "z", members: [{ member: b("lo"), score: Number.NEGATIVE_INFINITY }] });
    expect((await api.zsets.zScore({ key: "z", member: b("lo") })).score).toBe(Number.NEGATIVE_INFINITY);
  });

  it("ZRem, ZScore, ZMScore (nil for missing), ZIncrBy, ZCard", async () => {
    const api = seeded();
    expect((await api.zsets.zRem({ key: "z", members: [b("e"), b("zz")] })).removed).toBe(1n);
    expect((await api.zsets.zScore({ key: "z", member: b("b") })).score).toBe(2);
    expect((await api.zsets.zScore({ key: "z", member: b("e") })).score).toBeUndefined();
    const ms = await api.zsets.zMScore({ key: "z", members: [b("a"), b("nope")] });
    expect(ms.scores.map((x) => x.value)).toEqual([1, undefined]);
    expect((await api.zsets.zIncrBy({ key: "z", member: b("a"), increment: -0.5 })).score).toBe(0.5);
    expect((await api.zsets.zCard({ key: "z" })).cardinality).toBe(4n);
    expect((await api.zsets.zCard({ key: "nope" })).cardinality).toBe(0n);
  });

  it.each([
    ["[2, 4]", incl(2), incl(4), 3n],
    ["(2, 4]", excl(2), incl(4), 2n],
    ["(2, 4)", excl(2), excl(4), 1n],
    ["(-inf, 3]", open, incl(3), 3n],
    ["(3, +inf)", excl(3), open, 2n],
    ["everything", open, open, 5n],
  ])("ZCount %s", async (_n, min, max, count) => {
    expect((await seeded().zsets.zCount({ key: "z", range: { min, max } })).count).toBe(count);
  });

  it.each([
    ["[b, c]", lexIncl("b"), lexIncl("c"), 2n],
    ["(a, d)", lexExcl("a"), lexExcl("d"), 2n],
    ["- to (c", lexOpen, lexExcl("c"), 2n],
    ["[c to +", lexIncl("c"), lexOpen, 2n],
  ])("ZLexCount %s", async (_n, min, max, count) => {
    expect((await seeded().zsets.zLexCount({ key: "lex", range: { min, max } })).count).toBe(count);
  });

  it("bounds are required and unbounded must be true", async () => {
    const api = seeded();
    expect((await rpcError(api.zsets.zCount({ key: "z" }))).code).toBe(Code.InvalidArgument);
    expect((await rpcError(api.zsets.zCount({ key: "z", range: { min: incl(1) } }))).code).toBe(Code.InvalidArgument);
    const falseOpen = { bound: { case: "unbounded" as const, value: false } };
    expect((await rpcError(api.zsets.zCount({ key: "z", range: { min: falseOpen, max: open } }))).code).toBe(
      Code.InvalidArgument,
    );
  });

  it("ZRank and reverse rank, with score, nil for a missing member", async () => {
    const api = seeded();
    const plain = await api.zsets.zRank({ key: "z", member: b("b") });
    expect(plain.rank).toBe(1n);
    expect(plain.score).toBeUndefined();
    expect(await api.zsets.zRank({ key: "z", member: b("b"), reverse: true, withScore: true })).toMatchObject({
      rank: 3n,
      score: 2,
    });
    const missing = await api.zsets.zRank({ key: "z", member: b("nope"), withScore: true });
    expect(missing.rank).toBeUndefined();
    expect(missing.score).toBeUndefined();
  });

  it("ZRange by index, score and lex, reversed, limited, with scores", async () => {
    const api = seeded();
    const byIndex = await api.zsets.zRange({ key: "z", range: { case: "byIndex", value: { start: 0n, stop: 1n } } });
    expect(texts(byIndex.members)).toEqual(["a", "b"]);
    expect(byIndex.scores).toEqual([]);
    const byScore = await api.zsets.zRange({
      key: "z",
      range: { case: "byScore", value: { min: excl(1), max: open } },
      reverse: true,
      limit: { offset: 1n, count: 2n },
      withScores: true,
    });
    expect(texts(byScore.members)).toEqual(["d", "c"]);
    expect(byScore.scores).toEqual([4, 3]);
    const byLex = await api.zsets.zRange({
      key: "lex",
      range: { case: "byLex", value: { min: lexIncl("b"), max: lexOpen } },
      reverse: true,
    });
    expect(texts(byLex.members)).toEqual(["d", "c", "b"]);
    const none = await api.zsets.zRange({ key: "nope", range: { case: "byIndex", value: { start: 0n, stop: -1n } } });
    expect(none.members).toEqual([]);
  });

  it("ZRange needs a range; LIMIT by index is Redis's error", async () => {
    const api = seeded();
    expect((await rpcError(api.zsets.zRange({ key: "z" }))).code).toBe(Code.InvalidArgument);
    const e = await rpcError(
      api.zsets.zRange({
        key: "z",
        range: { case: "byIndex", value: { start: 0n, stop: 1n } },
        limit: { offset: 0n, count: 1n },
      }),
    );
    expect(e.code).toBe(Code.InvalidArgument);
    expect(e.rawMessage).toContain("LIMIT is only supported");
  });

  it("ZRangeStore", async () => {
    const api = seeded();
    const r = await api.zsets.zRangeStore({
      destination: "top",
      key: "z",
      range: { case: "byScore", value: { min: incl(4), max: open } },
    });
    expect(r.stored).toBe(2n);
    expect(api.ok("ZRANGE", "top", "0", "-1", "WITHSCORES")).toEqual(["d", "4", "e", "5"]);
  });

  it.each([
    ["byIndex", { case: "byIndex" as const, value: { start: 0n, stop: 1n } }, ["c", "d", "e"]],
    ["byScore", { case: "byScore" as const, value: { min: excl(1), max: incl(3) } }, ["a", "d", "e"]],
  ])("ZRemRange %s", async (_n, range, left) => {
    const api = seeded();
    expect((await api.zsets.zRemRange({ key: "z", range })).removed).toBe(2n);
    expect(api.ok("ZRANGE", "z", "0", "-1")).toEqual(left);
  });

  it("ZRemRange by lex", async () => {
    const api = seeded();
    const range = { case: "byLex" as const, value: { min: lexOpen, max: lexExcl("c") } };
    expect((await api.zsets.zRemRange({ key: "lex", range })).removed).toBe(2n);
    expect((await rpcError(api.zsets.zRemRange({ key: "lex" }))).code).toBe(Code.InvalidArgument);
  });

  it("ZPop min and max; empty for a missing key", async () => {
    const api = seeded();
    const min = await api.zsets.zPop({ key: "z", end: ScoreEnd.MIN });
    expect(min.members.map((m) => [s(m.member), m.score])).toEqual([["a", 1]]);
    const max = await api.zsets.zPop({ key: "z", end: ScoreEnd.MAX, count: 2n });
    expect(max.members.map((m) => [s(m.member), m.score])).toEqual([
      ["e", 5],
      ["d", 4],
    ]);
    expect((await api.zsets.zPop({ key: "nope", end: ScoreEnd.MIN })).members).toEqual([]);
    expect((await rpcError(api.zsets.zPop({ key: "z" }))).code).toBe(Code.InvalidArgument);
  });

  it("ZRandMember: one, several with scores, missing key", async () => {
    const api = seeded();
    expect((await api.zsets.zRandMember({ key: "z" })).members).toHaveLength(1);
    const all = await api.zsets.zRandMember({ key: "z", count: 10n, withScores: true });
    const pairs = all.members.map((m, i) => [s(m), all.scores[i]]).sort();
    expect(pairs).toEqual([
      ["a", 1],
      ["b", 2],
      ["c", 3],
      ["d", 4],
      ["e", 5],
    ]);
    expect(await api.zsets.zRandMember({ key: "nope" })).toMatchObject({ members: [], scores: [] });
    expect((await rpcError(api.zsets.zRandMember({ key: "z", withScores: true }))).code).toBe(Code.InvalidArgument);
  });

  it("ZScan pages through members with scores", async () => {
    const api = createTestApi();
    const argv = ["ZADD", "z"];
    for (let i = 0; i < 300; i++) argv.push(String(i), `m${i}`);
    api.ok(...argv);
    const seen = new Map<string, number>();
    let cursor = "";
    do {
      const page = await api.zsets.zScan({ key: "z", cursor, count: 50 });
      for (const m of page.members) seen.set(s(m.member) as string, m.score);
      cursor = page.cursor;
    } while (cursor !== "0");
    expect(seen.size).toBe(300);
    expect(seen.get("m123")).toBe(123);
  });

  it("WRONGTYPE is FAILED_PRECONDITION", async () => {
    const api = createTestApi();
    api.ok("SET", "s", "v");
    expect((await rpcError(api.zsets.zCard({ key: "s" }))).code).toBe(Code.FailedPrecondition);
  });
});
