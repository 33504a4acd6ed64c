import { describe, expect, it } from "vitest";
import type { WaitOptions } from "./blocking.js";
import type { Reply } from "./reply.js";
import { AwaitedRepository } from "./staged-repository.test-helpers.js";
import { createStore, type Store } from "./store.js";

/** Starts a command that must wait (nothing settled after the store had its turn). */
async function blocked(store: Store, args: string[], signal?: AbortSignal): Promise<{ reply: Promise<Reply> }> {
  const wait: WaitOptions = { signal };
  const reply = store.exec(args, wait);
  let settled = false;
  reply.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < 10; i++) await Promise.resolve();
  expect(settled, `${args.join(" ")} should block`).toBe(false);
  expect(wait.blocked).toBe(true);
  return { reply };
}

const entry = (id: string, v = "v"): Reply => [id, ["f", v]];

describe("XREAD / XREADGROUP BLOCK", () => {
  it("without BLOCK replies nil at once, even when the caller may wait", async () => {
    const store = createStore();
    store.execSync(["XADD", "s", "1-1", "f", "v"]);
    const wait: WaitOptions = {};
    expect(await store.exec(["XREAD", "STREAMS", "s", "$"], wait)).toBeNull();
    expect(wait.blocked).toBeFalsy();
  });

  it("XREAD $ waits for entries after the last ID of the time it was called", async () => {
    const store = createStore();
    store.execSync(["XADD", "s", "1-1", "f", "v"]);
    const { reply } = await blocked(store, ["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]);
    store.execSync(["XADD", "s", "2-1", "f", "w"]);
    expect(await reply).toEqual([["s", [entry("2-1", "w")]]]);
  });

  it("serves every waiter whose ID is behind, not only until one cannot be served", async () => {
    const store = createStore();
    store.execSync(["XADD", "s", "1-1", "f", "v"]);
    const { reply: ahead } = await blocked(store, ["XREAD", "BLOCK", "0", "STREAMS", "s", "9-0"]);
    const { reply: behind } = await blocked(store, ["XREAD", "BLOCK", "0", "COUNT", "1", "STREAMS", "s", "$"]);
    const { reply: missing } = await blocked(store, ["XREAD", "BLOCK", "0", "STREAMS", "nokey", "s", "0", "$"]);
    store.execSync(["XADD", "s", "2-1", "f", "w"]);
    expect(await behind).toEqual([["s", [entry("2-1", "w")]]]);
    expect(await missing).toEqual([["s", [entry("2-1", "w")]]]);
    expect(store.blocked.size).toBe(1);
    store.execSync(["XADD", "s", "10-0", "f", "x"]);
    expect(await ahead).toEqual([["s", [entry("10-0", "x")]]]);
  });

  it("a MULTI/EXEC's XADD wakes the reader after its commit", async () => {
    const store = createStore();
    const { reply } = await blocked(store, ["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]);
    await store.transaction([
      ["XADD", "s", "1-1", "f", "a"],
      ["XADD", "s", "2-1", "f", "b"],
    ]);
    expect(await reply).toEqual([["s", [entry("1-1", "a"), entry("2-1", "b")]]]);
  });

  it("times out with nil", async () => {
    const store = createStore();
    const { reply } = await blocked(store, ["XREAD", "BLOCK", "30", "STREAMS", "s", "$"]);
    expect(await reply).toBeNull();
  });

  it("is cancelled by its signal", async () => {
    const store = createStore();
    const abort = new AbortController();
    const { reply } = await blocked(store, ["XREAD", "BLOCK", "0", "STREAMS", "s", "$"], abort.signal);
    abort.abort(new Error("client went away"));
    await expect(reply).rejects.toThrow("client went away");
    expect(store.blocked.size).toBe(0);
  });

  it("XREADGROUP > delivers each new entry to one blocked consumer, FIFO, and records it pending", async () => {
    const store = createStore();
    store.execSync(["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]);
    const { reply: a } = await blocked(store, ["XREADGROUP", "GROUP", "g", "a", "BLOCK", "0", "STREAMS", "s", ">"]);
    const { reply: b } = await blocked(store, ["XREADGROUP", "GROUP", "g", "b", "BLOCK", "0", "STREAMS", "s", ">"]);
    store.execSync(["XADD", "s", "1-1", "f", "v"]);
    expect(await a).toEqual([["s", [entry("1-1")]]]);
    expect(store.blocked.size).toBe(1);
    store.execSync(["XADD", "s", "2-1", "f", "w"]);
    expect(await b).toEqual([["s", [entry("2-1", "w")]]]);
    expect(store.execSync(["XPENDING", "s", "g"])).toEqual([
      2,
      "1-1",
      "2-1",
      [
        ["a", "1"],
        ["b", "1"],
      ],
    ]);
  });

  it("XREADGROUP fails when its group is destroyed or its key deleted while it waits", async () => {
    const store = createStore();
    store.execSync(["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]);
    const { reply: onGroup } = await blocked(store, [
      "XREADGROUP",
      "GROUP",
      "g",
      "a",
      "BLOCK",
      "0",
      "STREAMS",
      "s",
      ">",
    ]);
    store.execSync(["XGROUP", "DESTROY", "s", "g"]);
    await expect(onGroup).rejects.toThrow("NOGROUP the consumer group this client was blocked on no longer exists");
    store.execSync(["XGROUP", "CREATE", "s", "g", "$"]);
    const { reply: onKey } = await blocked(store, ["XREADGROUP", "GROUP", "g", "a", "BLOCK", "0", "STREAMS", "s", ">"]);
    store.execSync(["DEL", "s"]);
    await expect(onKey).rejects.toThrow("UNBLOCKED the stream key no longer exists");
  });

  it("XREAD keeps waiting when its key is overwritten by another type", async () => {
    const store = createStore();
    const { reply } = await blocked(store, ["XREAD", "BLOCK", "0", "STREAMS", "s", "0"]);
    store.execSync(["SET", "s", "x"]);
    expect(store.blocked.size).toBe(1);
    store.execSync(["DEL", "s"]);
    store.execSync(["XADD", "s", "1-1", "f", "v"]);
    expect(await reply).toEqual([["s", [entry("1-1")]]]);
  });

  it("works on an asynchronous engine (an XADD between the attempt and the wait is not lost)", async () => {
    const store = createStore({ repository: new AwaitedRepository() });
    await store.exec(["XADD", "s", "1-1", "f", "v"]);
    const wait: WaitOptions = {};
    const reply = store.exec(["XREAD", "BLOCK", "0", "STREAMS", "s", "$"], wait);
    await store.exec(["XADD", "s", "2-1", "f", "w"]);
    expect(await reply).toEqual([["s", [entry("2-1", "w")]]]);
  });
});
