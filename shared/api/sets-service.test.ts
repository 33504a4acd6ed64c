import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { b, createTestApi, rpcError, s } from "./testing.js";

const texts = (list: Uint8Array[]) => list.map((x) => s(x)).sort();

describe("SetsService", () => {
  it("SAdd, SRem, SCard, SMembers", async () => {
    const api = createTestApi();
    expect((await api.sets.sAdd({ key: "s", members: [b("a"), b("b"), b("a")] })).added).toBe(2n);
    expect((await api.sets.sRem({ key: "s", members: [b("a"), b("z")] })).removed).toBe(1n);
    expect((await api.sets.sCard({ key: "s" })).cardinality).toBe(1n);
    expect(texts((await api.sets.sMembers({ key: "s" })).members)).toEqual(["b"]);
    expect((await api.sets.sMembers({ key: "nope" })).members).toEqual([]);
  });

  it("SIsMember and SMIsMember", async () => {
    const api = createTestApi();
    api.ok("SADD", "s", "a", "");
    expect((await api.sets.sIsMember({ key: "s", member: b("") })).isMember).toBe(true);
    expect((await api.sets.sIsMember({ key: "s", member: b("z") })).isMember).toBe(false);
    expect((await api.sets.sMIsMember({ key: "s", members: [b("a"), b("z"), b("")] })).isMember).toEqual([
      true,
      false,
      true,
    ]);
  });

  it("SPop and SRandMember: one, several, and a missing key", async () => {
    const api = createTestApi();
    api.ok("SADD", "s", "a", "b", "c");
    expect((await api.sets.sRandMember({ key: "s", count: -6n })).members).toHaveLength(6);
    expect(texts((await api.sets.sRandMember({ key: "s", count: 10n })).members)).toEqual(["a", "b", "c"]);
    const one = await api.sets.sPop({ key: "s" });
    expect(one.members).toHaveLength(1);
    expect(texts((await api.sets.sPop({ key: "s", count: 5n })).members)).toHaveLength(2);
    expect(api.ok("EXISTS", "s")).toBe(0);
    expect((await api.sets.sPop({ key: "s" })).members).toEqual([]);
    expect((await api.sets.sRandMember({ key: "s" })).members).toEqual([]);
    expect((await rpcError(api.sets.sPop({ key: "s", count: -1n }))).code).toBe(Code.InvalidArgument);
  });

  it("SMove", async () => {
    const api = createTestApi();
    api.ok("SADD", "a", "m");
    expect((await api.sets.sMove({ source: "a", destination: "b", member: b("m") })).moved).toBe(true);
    expect((await api.sets.sMove({ source: "a", destination: "b", member: b("m") })).moved).toBe(false);
    expect(api.ok("SMEMBERS", "b")).toEqual(["m"]);
  });

  it.each([
    ["sInter", ["b", "c"]],
    ["sUnion", ["a", "b", "c", "d"]],
    ["sDiff", ["a"]],
  ] as const)("%s returns or stores the result", async (rpc, expected) => {
    const api = createTestApi();
    api.ok("SADD", "x", "a", "b", "c");
    api.ok("SADD", "y", "b", "c", "d");
    const returned = await api.sets[rpc]({ keys: ["x", "y"] });
    expect(texts(returned.members)).toEqual(expected);
    expect(returned.cardinality).toBe(BigInt(expected.length));
    const stored = await api.sets[rpc]({ keys: ["x", "y"], destination: "out" });
    expect(stored).toMatchObject({ members: [], cardinality: BigInt(expected.length) });
    expect((api.ok("SMEMBERS", "out") as string[]).sort()).toEqual(expected);
  });

  it("SInterCard with and without LIMIT", async () => {
    const api = createTestApi();
    api.ok("SADD", "x", "a", "b", "c");
    api.ok("SADD", "y", "a", "b", "c");
    expect((await api.sets.sInterCard({ keys: ["x", "y"] })).cardinality).toBe(3n);
    expect((await api.sets.sInterCard({ keys: ["x", "y"], limit: 2 })).cardinality).toBe(2n);
    expect((await rpcError(api.sets.sInterCard({ keys: [] }))).code).toBe(Code.InvalidArgument);
  });

  it("SScan pages through every member", async () => {
    const api = createTestApi();
    const argv = ["SADD", "s"];
    for (let i = 0; i < 300; i++) argv.push(`m${i}`);
    api.ok(...argv);
    const seen = new Set<string>();
    let cursor = "0";
    do {
      const page = await api.sets.sScan({ key: "s", cursor, count: 40 });
      for (const m of page.members) seen.add(s(m) as string);
      cursor = page.cursor;
    } while (cursor !== "0");
    expect(seen.size).toBe(300);
  });

  it("WRONGTYPE is FAILED_PRECONDITION", async () => {
    const api = createTestApi();
    api.ok("SET", "str", "v");
    expect((await rpcError(api.sets.sAdd({ key: "str", members: [b("a")] }))).code).toBe(Code.FailedPrecondition);
    expect((await rpcError(api.sets.sInter({ keys: ["str"] }))).code).toBe(Code.FailedPrecondition);
  });
});
