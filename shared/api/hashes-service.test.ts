import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { b, createTestApi, rpcError, s } from "./testing.js";

const texts = (list: Uint8Array[]) => list.map((x) => s(x));
const fv = (field: string, value: string) => ({ field: b(field), value: b(value) });

describe("HashesService", () => {
  it("HSet counts added fields; HSetNx refuses an existing one", async () => {
    const api = createTestApi();
    expect((await api.hashes.hSet({ key: "h", fields: [fv("a", "1"), fv("b", "2")] })).added).toBe(2n);
    expect((await api.hashes.hSet({ key: "h", fields: [fv("a", "9"), fv("c", "3")] })).added).toBe(1n);
    expect((await api.hashes.hSetNx({ key: "h", field: b("a"), value: b("x") })).applied).toBe(false);
    expect((await api.hashes.hSetNx({ key: "h", field: b("d"), value: b("4") })).applied).toBe(true);
    expect((await rpcError(api.hashes.hSet({ key: "h", fields: [] }))).code).toBe(Code.InvalidArgument);
  });

  it("HGet and HMGet tell nil from the empty value", async () => {
    const api = createTestApi();
    api.ok("HSET", "h", "e", "", "a", "1");
    expect((await api.hashes.hGet({ key: "h", field: b("e") })).value).toEqual(new Uint8Array());
    expect((await api.hashes.hGet({ key: "h", field: b("nope") })).value).toBeUndefined();
    expect((await api.hashes.hGet({ key: "nope", field: b("a") })).value).toBeUndefined();
    const r = await api.hashes.hMGet({ key: "h", fields: [b("a"), b("nope"), b("e")] });
    expect(r.values.map((v) => s(v.value))).toEqual(["1", undefined, ""]);
  });

  it("HDel, HExists, HLen, HKeys, HVals, HGetAll, HStrLen", async () => {
    const api = createTestApi();
    api.ok("HSET", "h", "a", "1", "b", "22", "c", "333");
    expect((await api.hashes.hDel({ key: "h", fields: [b("c"), b("zz")] })).removed).toBe(1n);
    expect((await api.hashes.hExists({ key: "h", field: b("a") })).exists).toBe(true);
    expect((await api.hashes.hExists({ key: "h", field: b("c") })).exists).toBe(false);
    expect((await api.hashes.hLen({ key: "h" })).length).toBe(2n);
    expect(texts((await api.hashes.hKeys({ key: "h" })).fields).sort()).toEqual(["a", "b"]);
    expect(texts((await api.hashes.hVals({ key: "h" })).values).sort()).toEqual(["1", "22"]);
    const all = (await api.hashes.hGetAll({ key: "h" })).fields.map((f) => [s(f.field), s(f.value)]);
    expect(all.sort()).toEqual([
      ["a", "1"],
      ["b", "22"],
    ]);
    expect((await api.hashes.hGetAll({ key: "nope" })).fields).toEqual([]);
    expect((await api.hashes.hStrLen({ key: "h", field: b("b") })).length).toBe(2n);
  });

  it("HIncrBy and HIncrByFloat", async () => {
    const api = createTestApi();
    expect((await api.hashes.hIncrBy({ key: "h", field: b("n"), delta: -5n })).value).toBe(-5n);
    const f = await api.hashes.hIncrByFloat({ key: "h", field: b("f"), delta: 2.5 });
    expect(f).toMatchObject({ value: 2.5, text: "2.5" });
    api.ok("HSET", "h", "s", "abc");
    const e = await rpcError(api.hashes.hIncrBy({ key: "h", field: b("s"), delta: 1n }));
    expect(e.code).toBe(Code.InvalidArgument);
    expect(e.rawMessage).toBe("ERR hash value is not an integer");
  });

  it("HRandField: one, several, with values, and a missing key", async () => {
    const api = createTestApi();
    api.ok("HSET", "h", "a", "1", "b", "2", "c", "3");
    const one = await api.hashes.hRandField({ key: "h" });
    expect(one.fields).toHaveLength(1);
    const all = await api.hashes.hRandField({ key: "h", count: 10n, withValues: true });
    const pairs = all.fields.map((f, i) => [s(f), s(all.values[i])]).sort();
    expect(pairs).toEqual([
      ["a", "1"],
      ["b", "2"],
      ["c", "3"],
    ]);
    expect((await api.hashes.hRandField({ key: "h", count: -5n })).fields).toHaveLength(5);
    expect(await api.hashes.hRandField({ key: "nope" })).toMatchObject({ fields: [], values: [] });
    expect((await rpcError(api.hashes.hRandField({ key: "h", withValues: true }))).code).toBe(Code.InvalidArgument);
  });

  it("HScan pages through every field with MATCH", async () => {
    const api = createTestApi();
    const argv = ["HSET", "h"];
    for (let i = 0; i < 200; i++) argv.push(`f${i}`, `v${i}`);
    api.ok(...argv);
    const seen = new Map<string, string>();
    let cursor = "";
    do {
      const page = await api.hashes.hScan({ key: "h", cursor, count: 25, match: b("f1*") });
      for (const f of page.fields) seen.set(s(f.field) as string, s(f.value) as string);
      cursor = page.cursor;
    } while (cursor !== "0");
    expect(seen.size).toBe(111); // f1, f10..f19, f100..f199
    expect(seen.get("f150")).toBe("v150");
  });

  it("WRONGTYPE is FAILED_PRECONDITION", async () => {
    const api = createTestApi();
    api.ok("SET", "s", "v");
    expect((await rpcError(api.hashes.hGet({ key: "s", field: b("a") }))).code).toBe(Code.FailedPrecondition);
  });
});
