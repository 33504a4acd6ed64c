import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { InsertPosition, ListEnd } from "../gen/memorabilia/v1/lists_service_pb.js";
import { b, createTestApi, rpcError, s } from "./testing.js";

const texts = (list: Uint8Array[]) => list.map((x) => s(x));

describe("ListsService", () => {
  it("Push at each end, and only_if_exists", async () => {
    const api = createTestApi();
    expect((await api.lists.push({ key: "l", end: ListEnd.RIGHT, elements: [b("b"), b("c")] })).length).toBe(2n);
    expect((await api.lists.push({ key: "l", end: ListEnd.LEFT, elements: [b("a0"), b("a")] })).length).toBe(4n);
    expect(api.ok("LRANGE", "l", "0", "-1")).toEqual(["a", "a0", "b", "c"]);
    expect((await api.lists.push({ key: "x", end: ListEnd.LEFT, elements: [b("a")], onlyIfExists: true })).length).toBe(
      0n,
    );
    expect(api.ok("EXISTS", "x")).toBe(0);
    expect(
      (await api.lists.push({ key: "l", end: ListEnd.RIGHT, elements: [b("z")], onlyIfExists: true })).length,
    ).toBe(5n);
  });

  it("Push needs an end and an element", async () => {
    const api = createTestApi();
    expect((await rpcError(api.lists.push({ key: "l", elements: [b("a")] }))).code).toBe(Code.InvalidArgument);
    expect((await rpcError(api.lists.push({ key: "l", end: 9 as ListEnd, elements: [b("a")] }))).code).toBe(
      Code.InvalidArgument,
    );
    expect((await rpcError(api.lists.push({ key: "l", end: ListEnd.LEFT }))).code).toBe(Code.InvalidArgument);
  });

  it("Pop tells a missing key from an empty pop", async () => {
    const api = createTestApi();
    api.ok("RPUSH", "l", "a", "b", "c", "");
    expect(await api.lists.pop({ key: "l", end: ListEnd.LEFT })).toMatchObject({ found: true });
    expect(texts((await api.lists.pop({ key: "l", end: ListEnd.RIGHT })).elements)).toEqual([""]);
    expect(texts((await api.lists.pop({ key: "l", end: ListEnd.RIGHT, count: 5n })).elements)).toEqual(["c", "b"]);
    const missing = await api.lists.pop({ key: "l", end: ListEnd.LEFT, count: 0n });
    expect(missing).toMatchObject({ found: false, elements: [] });
    api.ok("RPUSH", "m", "a");
    expect(await api.lists.pop({ key: "m", end: ListEnd.LEFT, count: 0n })).toMatchObject({
      found: true,
      elements: [],
    });
    expect((await rpcError(api.lists.pop({ key: "m", end: ListEnd.LEFT, count: -1n }))).code).toBe(
      Code.InvalidArgument,
    );
  });

  it("LRange, LLen, LIndex (nil out of range)", async () => {
    const api = createTestApi();
    api.ok("RPUSH", "l", "a", "b", "c");
    expect(texts((await api.lists.lRange({ key: "l", start: 1n, stop: -1n })).elements)).toEqual(["b", "c"]);
    expect((await api.lists.lRange({ key: "nope", start: 0n, stop: -1n })).elements).toEqual([]);
    expect((await api.lists.lLen({ key: "l" })).length).toBe(3n);
    expect(s((await api.lists.lIndex({ key: "l", index: -1n })).element)).toBe("c");
    expect((await api.lists.lIndex({ key: "l", index: 3n })).element).toBeUndefined();
  });

  it("LSet: NOT_FOUND for a missing key, INVALID_ARGUMENT out of range", async () => {
    const api = createTestApi();
    api.ok("RPUSH", "l", "a");
    await api.lists.lSet({ key: "l", index: 0n, element: b("z") });
    expect(api.ok("LINDEX", "l", "0")).toBe("z");
    expect((await rpcError(api.lists.lSet({ key: "nope", index: 0n, element: b("z") }))).code).toBe(Code.NotFound);
    expect((await rpcError(api.lists.lSet({ key: "l", index: 1n, element: b("z") }))).code).toBe(Code.InvalidArgument);
  });

  it("LRem and LTrim", async () => {
    const api = createTestApi();
    api.ok("RPUSH", "l", "x", "a", "x", "b", "x");
    expect((await api.lists.lRem({ key: "l", count: -2n, element: b("x") })).removed).toBe(2n);
    expect(api.ok("LRANGE", "l", "0", "-1")).toEqual(["x", "a", "b"]);
    await api.lists.lTrim({ key: "l", start: 1n, stop: 1n });
    expect(api.ok("LRANGE", "l", "0", "-1")).toEqual(["a"]);
  });

  it("LInsert distinguishes a missing key, a missing pivot and an insert", async () => {
    const api = createTestApi();
    const req = { key: "l", position: InsertPosition.AFTER, pivot: b("a"), element: b("n") };
    expect(await api.lists.lInsert(req)).toMatchObject({ found: false, inserted: false, length: 0n });
    api.ok("RPUSH", "l", "a", "b");
    expect(await api.lists.lInsert({ ...req, pivot: b("zz") })).toMatchObject({ found: true, inserted: false });
    expect(await api.lists.lInsert(req)).toMatchObject({ found: true, inserted: true, length: 3n });
    expect(api.ok("LRANGE", "l", "0", "-1")).toEqual(["a", "n", "b"]);
    expect((await rpcError(api.lists.lInsert({ ...req, position: InsertPosition.UNSPECIFIED }))).code).toBe(
      Code.InvalidArgument,
    );
  });

  it("LPos with and without COUNT, RANK and MAXLEN", async () => {
    const api = createTestApi();
    api.ok("RPUSH", "l", "a", "x", "b", "x", "x");
    expect((await api.lists.lPos({ key: "l", element: b("x") })).positions).toEqual([1n]);
    expect((await api.lists.lPos({ key: "l", element: b("x"), count: 0n })).positions).toEqual([1n, 3n, 4n]);
    expect((await api.lists.lPos({ key: "l", element: b("x"), rank: -1n })).positions).toEqual([4n]);
    expect((await api.lists.lPos({ key: "l", element: b("x"), count: 0n, maxLen: 2n })).positions).toEqual([1n]);
    expect((await api.lists.lPos({ key: "l", element: b("nope") })).positions).toEqual([]);
    expect((await rpcError(api.lists.lPos({ key: "l", element: b("x"), rank: 0n }))).code).toBe(Code.InvalidArgument);
  });

  it("LMove and LMPop (nil when nothing to pop)", async () => {
    const api = createTestApi();
    api.ok("RPUSH", "src", "a", "b");
    const moved = await api.lists.lMove({ source: "src", destination: "dst", from: ListEnd.RIGHT, to: ListEnd.LEFT });
    expect(s(moved.element)).toBe("b");
    expect(
      (await api.lists.lMove({ source: "nope", destination: "dst", from: ListEnd.LEFT, to: ListEnd.LEFT })).element,
    ).toBeUndefined();
    const popped = await api.lists.lMPop({ keys: ["empty", "src", "dst"], end: ListEnd.LEFT, count: 10n });
    expect(popped.key).toBe("src");
    expect(texts(popped.elements)).toEqual(["a"]);
    expect(await api.lists.lMPop({ keys: ["empty", "src"], end: ListEnd.LEFT })).toMatchObject({ elements: [] });
    expect((await api.lists.lMPop({ keys: ["empty"], end: ListEnd.LEFT })).key).toBeUndefined();
    expect((await rpcError(api.lists.lMPop({ keys: [], end: ListEnd.LEFT }))).code).toBe(Code.InvalidArgument);
  });

  it("WRONGTYPE is FAILED_PRECONDITION", async () => {
    const api = createTestApi();
    api.ok("SET", "s", "v");
    expect((await rpcError(api.lists.lLen({ key: "s" }))).code).toBe(Code.FailedPrecondition);
    expect((await rpcError(api.lists.push({ key: "s", end: ListEnd.LEFT, elements: [b("a")] }))).code).toBe(
      Code.FailedPrecondition,
    );
  });
});
