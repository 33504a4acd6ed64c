import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { GetRequestSchema, SetCondition, SetRequestSchema } from "../gen/memorabilia/v1/strings_service_pb.js";
import { createTestStore } from "../store/testing.js";
import { createStringsService } from "./strings-service.js";
import { b, createTestApi, rpcError, s } from "./testing.js";

describe("StringsService", () => {
  it("Get tells nil from the empty string", async () => {
    const api = createTestApi();
    await api.strings.set({ key: "empty", value: new Uint8Array() });
    const empty = await api.strings.get({ key: "empty" });
    expect(empty.value).toEqual(new Uint8Array());
    expect((await api.strings.get({ key: "missing" })).value).toBeUndefined();
  });

  it("Get and Set answer without a promise of their own, and a bad argument is still a rejection", async () => {
    const { store } = createTestStore();
    const impl = createStringsService(store, { logger: { error: () => {} } });
    const ctx = { signal: new AbortController().signal } as never;
    const set = impl.set(create(SetRequestSchema, { key: "k", value: b("v") }), ctx);
    expect(set).not.toBeInstanceOf(Promise);
    expect(set).toEqual({ applied: true });
    expect(impl.get(create(GetRequestSchema, { key: "k" }), ctx)).toEqual({ value: b("v") });
    // An unknown SetCondition is refused by the handler before any command runs: a rejected
    // promise (as from an async function), never a throw out of the call.
    let bad: unknown;
    expect(() => {
      bad = impl.set(create(SetRequestSchema, { key: "k", value: b("w"), condition: 99 as SetCondition }), ctx);
    }).not.toThrow();
    expect(bad).toBeInstanceOf(Promise);
    expect((await rpcError(bad as Promise<unknown>)).code).toBe(Code.InvalidArgument);
    expect(impl.get(create(GetRequestSchema, { key: "k" }), ctx)).toEqual({ value: b("v") });
  });

  it("values are binary-safe (every byte value round-trips)", async () => {
    const api = createTestApi();
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    await api.strings.set({ key: "bin", value: all });
    expect((await api.strings.get({ key: "bin" })).value).toEqual(all);
    expect(api.ok("STRLEN", "bin")).toBe(256);
  });

  it.each([
    ["no condition, missing", SetCondition.UNSPECIFIED, false, true],
    ["no condition, present", SetCondition.UNSPECIFIED, true, true],
    ["NX, missing", SetCondition.NX, false, true],
    ["NX, present", SetCondition.NX, true, false],
    ["XX, missing", SetCondition.XX, false, false],
    ["XX, present", SetCondition.XX, true, true],
  ])("Set %s: applied as Redis decides, with and without GET", async (_n, condition, present, applied) => {
    for (const get of [false, true]) {
      const api = createTestApi();
      if (present) api.ok("SET", "k", "old");
      const r = await api.strings.set({ key: "k", value: b("new"), condition, get });
      expect(r.applied).toBe(applied);
      expect(s(r.previous)).toBe(get && present ? "old" : undefined);
      expect(api.ok("GET", "k")).toBe(applied ? "new" : present ? "old" : null);
    }
  });

  it("Set expiries: ttl_ms, at_ms, keep_ttl, and none clears the TTL", async () => {
    const api = createTestApi();
    api.clock.set(10_000);
    await api.strings.set({ key: "k", value: b("v"), expiry: { case: "ttlMs", value: 500n } });
    expect(api.ok("PTTL", "k")).toBe(500);
    await api.strings.set({ key: "k", value: b("v"), expiry: { case: "atMs", value: 12_000n } });
    expect(api.ok("PEXPIRETIME", "k")).toBe(12_000);
    await api.strings.set({ key: "k", value: b("w"), expiry: { case: "keepTtl", value: true } });
    expect(api.ok("PEXPIRETIME", "k")).toBe(12_000);
    await api.strings.set({ key: "k", value: b("x") });
    expect(api.ok("PTTL", "k")).toBe(-1);
  });

  it("Set rejects a false keep_ttl, an unknown condition, and a non-positive TTL", async () => {
    const api = createTestApi();
    const codes = await Promise.all([
      rpcError(api.strings.set({ key: "k", value: b("v"), expiry: { case: "keepTtl", value: false } })),
      rpcError(api.strings.set({ key: "k", value: b("v"), condition: 7 as SetCondition })),
      rpcError(api.strings.set({ key: "k", value: b("v"), expiry: { case: "ttlMs", value: -5n } })),
    ]);
    expect(codes.map((e) => e.code)).toEqual([Code.InvalidArgument, Code.InvalidArgument, Code.InvalidArgument]);
    expect(codes[2]?.rawMessage).toBe("ERR invalid expire time in 'set' command");
    expect(api.ok("EXISTS", "k")).toBe(0);
  });

  it("GetDel and GetEx (ttl, persist, unchanged)", async () => {
    const api = createTestApi();
    api.ok("SET", "k", "v");
    expect(s((await api.strings.getEx({ key: "k", expiry: { case: "ttlMs", value: 1000n } })).value)).toBe("v");
    expect(api.ok("PTTL", "k")).toBe(1000);
    await api.strings.getEx({ key: "k" });
    expect(api.ok("PTTL", "k")).toBe(1000);
    await api.strings.getEx({ key: "k", expiry: { case: "persist", value: true } });
    expect(api.ok("PTTL", "k")).toBe(-1);
    expect((await api.strings.getEx({ key: "nope" })).value).toBeUndefined();
    expect(s((await api.strings.getDel({ key: "k" })).value)).toBe("v");
    expect((await api.strings.getDel({ key: "k" })).value).toBeUndefined();
  });

  it("MGet marks missing and non-string keys nil; MSet and MSetNx", async () => {
    const api = createTestApi();
    await api.strings.mSet({
      entries: [
        { key: "a", value: b("1") },
        { key: "e", value: b("") },
      ],
    });
    api.ok("RPUSH", "l", "x");
    const r = await api.strings.mGet({ keys: ["a", "missing", "l", "e"] });
    expect(r.values.map((v) => s(v.value))).toEqual(["1", undefined, undefined, ""]);
    expect(
      (
        await api.strings.mSetNx({
          entries: [
            { key: "a", value: b("2") },
            { key: "z", value: b("3") },
          ],
        })
      ).applied,
    ).toBe(false);
    expect(
      (
        await api.strings.mSetNx({
          entries: [
            { key: "y", value: b("2") },
            { key: "z", value: b("3") },
          ],
        })
      ).applied,
    ).toBe(true);
    expect((await rpcError(api.strings.mSet({ entries: [] }))).code).toBe(Code.InvalidArgument);
  });

  it("IncrBy covers INCR/DECR and the int64 range exactly", async () => {
    const api = createTestApi();
    expect((await api.strings.incrBy({ key: "n", delta: 1n })).value).toBe(1n);
    expect((await api.strings.incrBy({ key: "n", delta: -11n })).value).toBe(-10n);
    api.ok("SET", "big", "9223372036854775800");
    expect((await api.strings.incrBy({ key: "big", delta: 7n })).value).toBe(9223372036854775807n);
    expect((await rpcError(api.strings.incrBy({ key: "big", delta: 1n }))).code).toBe(Code.InvalidArgument);
  });

  it("IncrByFloat returns the value and its stored text", async () => {
    const api = createTestApi();
    api.ok("SET", "f", "10.5");
    const r = await api.strings.incrByFloat({ key: "f", delta: 0.1 });
    expect(r.text).toBe("10.6");
    expect(r.value).toBeCloseTo(10.6);
    const e = await rpcError(api.strings.incrByFloat({ key: "f", delta: Number.POSITIVE_INFINITY }));
    expect(e.code).toBe(Code.InvalidArgument);
  });

  it("Append, StrLen, GetRange, SetRange", async () => {
    const api = createTestApi();
    expect((await api.strings.append({ key: "k", value: b("Hello") })).length).toBe(5n);
    expect((await api.strings.append({ key: "k", value: b(" World") })).length).toBe(11n);
    expect((await api.strings.strLen({ key: "k" })).length).toBe(11n);
    expect((await api.strings.strLen({ key: "nope" })).length).toBe(0n);
    expect(s((await api.strings.getRange({ key: "k", start: -5n, end: -1n })).value)).toBe("World");
    expect((await api.strings.getRange({ key: "nope", start: 0n, end: -1n })).value).toEqual(new Uint8Array());
    expect((await api.strings.setRange({ key: "p", offset: 3n, value: b("x") })).length).toBe(4n);
    expect(api.ok("GET", "p")).toBe("\0\0\0x");
    expect((await rpcError(api.strings.setRange({ key: "p", offset: -1n, value: b("x") }))).code).toBe(
      Code.InvalidArgument,
    );
  });

  it("WRONGTYPE is FAILED_PRECONDITION", async () => {
    const api = createTestApi();
    api.ok("SADD", "set", "m");
    for (const call of [
      api.strings.get({ key: "set" }),
      api.strings.append({ key: "set", value: b("x") }),
      api.strings.incrBy({ key: "set", delta: 1n }),
    ]) {
      expect((await rpcError(call)).code).toBe(Code.FailedPrecondition);
    }
  });
});
