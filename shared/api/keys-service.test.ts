import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ExpireCondition } from "../gen/memorabilia/v1/keys_service_pb.js";
import { KeyType, TtlStatus } from "../gen/memorabilia/v1/types_pb.js";
import { createTestApi, rpcError } from "./testing.js";

describe("KeysService", () => {
  it("Del, Unlink, Exists, Touch count keys as Redis does", async () => {
    const api = createTestApi();
    api.ok("MSET", "a", "1", "b", "2", "c", "3");
    expect((await api.keys.exists({ keys: ["a", "a", "x"] })).count).toBe(2n);
    expect((await api.keys.touch({ keys: ["a", "x"] })).touched).toBe(1n);
    expect((await api.keys.del({ keys: ["a", "x"] })).deleted).toBe(1n);
    expect((await api.keys.unlink({ keys: ["b", "c"] })).deleted).toBe(2n);
    expect(api.ok("DBSIZE")).toBe(0);
  });

  it.each([
    ["string", ["SET", "k", "v"], KeyType.STRING],
    ["list", ["RPUSH", "k", "v"], KeyType.LIST],
    ["hash", ["HSET", "k", "f", "v"], KeyType.HASH],
    ["set", ["SADD", "k", "v"], KeyType.SET],
    ["zset", ["ZADD", "k", "1", "v"], KeyType.ZSET],
  ])("Type of a %s", async (_name, argv, type) => {
    const api = createTestApi();
    api.ok(...argv);
    expect((await api.keys.type({ key: "k" })).type).toBe(type);
  });

  it("Type of a missing key is NONE", async () => {
    expect((await createTestApi().keys.type({ key: "nope" })).type).toBe(KeyType.NONE);
  });

  it("Rename moves the value; a missing key is NOT_FOUND", async () => {
    const api = createTestApi();
    api.ok("SET", "a", "1");
    await api.keys.rename({ key: "a", newKey: "b" });
    expect(api.ok("GET", "b")).toBe("1");
    expect((await rpcError(api.keys.rename({ key: "a", newKey: "c" }))).code).toBe(Code.NotFound);
  });

  it("RenameNx refuses an existing destination", async () => {
    const api = createTestApi();
    api.ok("MSET", "a", "1", "b", "2");
    expect((await api.keys.renameNx({ key: "a", newKey: "b" })).renamed).toBe(false);
    expect((await api.keys.renameNx({ key: "a", newKey: "c" })).renamed).toBe(true);
  });

  it("Expire relative and absolute, then Ttl reports both forms", async () => {
    const api = createTestApi();
    api.clock.set(1_000_000);
    api.ok("SET", "k", "v");
    expect((await api.keys.ttl({ key: "k" })).ttl).toMatchObject({ status: TtlStatus.NO_EXPIRY, ttlMs: 0n, atMs: 0n });
    expect((await api.keys.expire({ key: "k", when: { case: "ttlMs", value: 5000n } })).applied).toBe(true);
    api.clock.advance(1000);
    expect((await api.keys.ttl({ key: "k" })).ttl).toMatchObject({
      status: TtlStatus.EXPIRES,
      ttlMs: 4000n,
      atMs: 1_005_000n,
    });
    await api.keys.expire({ key: "k", when: { case: "atMs", value: 2_000_000n } });
    expect((await api.keys.ttl({ key: "k" })).ttl?.atMs).toBe(2_000_000n);
    api.clock.advance(1_000_000);
    expect((await api.keys.ttl({ key: "k" })).ttl?.status).toBe(TtlStatus.NO_SUCH_KEY);
  });

  it.each([
    [ExpireCondition.NX, false, true],
    [ExpireCondition.XX, true, false],
    [ExpireCondition.GT, true, false],
    [ExpireCondition.LT, false, true],
  ])("Expire condition %s: with a TTL %s, without %s", async (condition, withTtl, withoutTtl) => {
    const api = createTestApi();
    api.ok("SET", "t", "v", "PX", "10000");
    api.ok("SET", "p", "v");
    const when = { case: "ttlMs" as const, value: 20000n };
    expect((await api.keys.expire({ key: "t", when, condition })).applied).toBe(withTtl);
    expect((await api.keys.expire({ key: "p", when, condition })).applied).toBe(withoutTtl);
  });

  it("Expire needs a time and a known condition; a missing key is not applied", async () => {
    const api = createTestApi();
    api.ok("SET", "k", "v");
    expect((await rpcError(api.keys.expire({ key: "k" }))).code).toBe(Code.InvalidArgument);
    const bad = api.keys.expire({ key: "k", when: { case: "ttlMs", value: 1n }, condition: 99 as ExpireCondition });
    expect((await rpcError(bad)).code).toBe(Code.InvalidArgument);
    expect(api.ok("PTTL", "k")).toBe(-1);
    expect((await api.keys.expire({ key: "nope", when: { case: "ttlMs", value: 1n } })).applied).toBe(false);
  });

  it("Persist removes a TTL once", async () => {
    const api = createTestApi();
    api.ok("SET", "k", "v", "PX", "100");
    expect((await api.keys.persist({ key: "k" })).persisted).toBe(true);
    expect((await api.keys.persist({ key: "k" })).persisted).toBe(false);
  });

  it("Scan pages through every key with type, TTL and size", async () => {
    const api = createTestApi();
    api.clock.set(5000);
    api.ok("SET", "s", "hello", "PX", "1000");
    api.ok("RPUSH", "l", "a", "b", "c");
    api.ok("HSET", "h", "f", "v");
    api.ok("SADD", "st", "x", "y");
    api.ok("ZADD", "z", "1", "m");
    for (let i = 0; i < 30; i++) api.ok("SET", `n${i}`, "v");
    const seen = new Map<string, { type: KeyType; size: bigint; status?: TtlStatus; atMs?: bigint }>();
    let cursor = "";
    let pages = 0;
    do {
      const page = await api.keys.scan({ cursor, count: 5 });
      for (const k of page.keys)
        seen.set(k.key, { type: k.type, size: k.size, status: k.ttl?.status, atMs: k.ttl?.atMs });
      cursor = page.cursor;
      pages++;
    } while (cursor !== "0");
    expect(pages).toBeGreaterThan(1);
    expect(seen.size).toBe(35);
    expect(seen.get("s")).toEqual({ type: KeyType.STRING, size: 5n, status: TtlStatus.EXPIRES, atMs: 6000n });
    expect(seen.get("l")).toMatchObject({ type: KeyType.LIST, size: 3n, status: TtlStatus.NO_EXPIRY });
    expect(seen.get("h")).toMatchObject({ type: KeyType.HASH, size: 1n });
    expect(seen.get("st")).toMatchObject({ type: KeyType.SET, size: 2n });
    expect(seen.get("z")).toMatchObject({ type: KeyType.ZSET, size: 1n });
  });

  it("Scan filters by pattern and type, and never lists expired keys", async () => {
    const api = createTestApi();
    api.ok("SET", "user:1", "a");
    api.ok("SET", "user:2", "b", "PX", "10");
    api.ok("RPUSH", "user:3", "x");
    api.ok("SET", "other", "c");
    api.clock.advance(20);
    const strings = await api.keys.scan({ match: "user:*", type: KeyType.STRING, count: 1000 });
    expect(strings.keys.map((k) => k.key)).toEqual(["user:1"]);
    const lists = await api.keys.scan({ type: KeyType.LIST, count: 1000 });
    expect(lists.keys.map((k) => k.key)).toEqual(["user:3"]);
    // KEY_TYPE_NONE is `SCAN … TYPE none`, as Redis 7.0: no key matches, the cursor still ends at 0.
    const none = await api.keys.scan({ type: KeyType.NONE, count: 1000 });
    expect(none).toMatchObject({ cursor: "0", keys: [] });
    expect(api.run("SCAN", "0", "TYPE", "none", "COUNT", "1000")).toEqual(["0", []]);
    expect((await rpcError(api.keys.scan({ type: 99 as KeyType }))).code).toBe(Code.InvalidArgument);
  });

  it("Scan carries non-ASCII keys as UTF-8 text", async () => {
    const api = createTestApi();
    await api.strings.set({ key: "clé:🔑", value: new Uint8Array([1]) });
    expect((await api.keys.scan({ count: 100 })).keys.map((k) => k.key)).toEqual(["clé:🔑"]);
    expect((await api.keys.keys({ pattern: "clé*" })).keys).toEqual(["clé:🔑"]);
  });

  it("Keys, RandomKey (nil vs key), DbSize, FlushAll", async () => {
    const api = createTestApi();
    expect((await api.keys.randomKey({})).key).toBeUndefined();
    api.ok("MSET", "a1", "1", "a2", "2", "b", "3");
    expect((await api.keys.keys({ pattern: "a*" })).keys.sort()).toEqual(["a1", "a2"]);
    expect(["a1", "a2", "b"]).toContain((await api.keys.randomKey({})).key);
    expect((await api.keys.dbSize({})).size).toBe(3n);
    await api.keys.flushAll({});
    expect((await api.keys.dbSize({})).size).toBe(0n);
  });

  it("Copy with and without replace", async () => {
    const api = createTestApi();
    api.ok("MSET", "a", "1", "b", "2");
    expect((await api.keys.copy({ source: "a", destination: "b" })).copied).toBe(false);
    expect((await api.keys.copy({ source: "a", destination: "b", replace: true })).copied).toBe(true);
    expect(api.ok("GET", "b")).toBe("1");
    expect((await api.keys.copy({ source: "nope", destination: "c" })).copied).toBe(false);
  });

  it("ObjectEncoding and MemoryUsage are nil for a missing key", async () => {
    const api = createTestApi();
    api.ok("SET", "n", "12345");
    expect((await api.keys.objectEncoding({ key: "n" })).encoding).toBe("int");
    expect((await api.keys.objectEncoding({ key: "nope" })).encoding).toBeUndefined();
    expect((await api.keys.memoryUsage({ key: "n" })).bytes).toBeGreaterThan(0n);
    expect((await api.keys.memoryUsage({ key: "nope" })).bytes).toBeUndefined();
  });
});
