/**
 * MULTI with KEYS/SCAN/DBSIZE/RANDOMKEY/FLUSHALL on the etcd engine (its `atomicKeyspace`): two
 * stores ("two servers") on one real 3-member cluster. Such a transaction reads every key at one
 * revision and commits only if nothing in the keyspace changed since (the fence), so concurrent
 * ones through both servers are serializable; past the key bound it is refused with one clear error.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EtcdRepositoryOptions } from "../../server/engines/etcd/etcd-repository.js";
import { StoreError } from "../../shared/store/errors.js";
import type { Store } from "../../shared/store/store.js";
import { type EtcdCluster, startEtcdCluster } from "../support/etcd-cluster.js";
import { storePair } from "./store-pair.js";

describe("whole-keyspace transactions on the etcd engine", () => {
  let cluster: EtcdCluster;
  const closers: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    cluster = await startEtcdCluster();
  }, 60_000);
  afterAll(async () => {
    for (const c of closers) await c();
    await cluster?.stop();
  }, 30_000);

  let n = 0;
  const pair = (options: Partial<EtcdRepositoryOptions> = {}) =>
    storePair(cluster.endpoints, `ksmulti/${++n}/`, closers, options);

  it("sees the transaction's own writes, and commits all of it", async () => {
    const { a, b } = await pair();
    await b.exec(["MSET", "x", "1", "y", "2"]);
    const replies = await a.transaction([
      ["DBSIZE"],
      ["SET", "z", "3"],
      ["DEL", "x"],
      ["KEYS", "*"],
      ["DBSIZE"],
      ["SCAN", "0", "COUNT", "1000", "MATCH", "z*"],
      ["RANDOMKEY"],
    ]);
    expect(replies?.[0]).toBe(2);
    expect([...((replies?.[3] ?? []) as string[])].sort()).toEqual(["y", "z"]);
    expect(replies?.[4]).toBe(2);
    expect(replies?.[5]).toEqual(["0", ["z"]]);
    expect(["y", "z"]).toContain(replies?.[6]);
    expect(((await b.exec(["KEYS", "*"])) as string[]).sort()).toEqual(["y", "z"]);
    // FLUSHALL then writes in one transaction (Redis's MULTI/EXEC mode): the writes survive.
    const flushed = await b.transaction([["FLUSHALL"], ["SET", "after", "1"], ["DBSIZE"]], undefined, {
      mode: "continue",
    });
    expect(flushed?.[2]).toBe(1);
    expect(await a.exec(["KEYS", "*"])).toEqual(["after"]);
  });

  it("concurrent DBSIZE-then-SET transactions through two servers are serializable", async () => {
    const { a, b } = await pair();
    const per = 8;
    const run = (s: Store, tag: string) =>
      Promise.all(Array.from({ length: per }, (_, i) => s.transaction([["DBSIZE"], ["SET", `${tag}${i}`, "v"]])));
    const [ra, rb] = await Promise.all([run(a, "a"), run(b, "b")]);
    // Each transaction counted every one committed before it, and none other: 0, 1, …, 2 × per − 1.
    const sizes = [...ra, ...rb].map((r) => r?.[0] as number).sort((x, y) => x - y);
    expect(sizes).toEqual(Array.from({ length: 2 * per }, (_, i) => i));
    expect(await a.exec(["DBSIZE"])).toBe(2 * per);
  }, 60_000);

  it("a WATCHed key changed through the other server aborts it; an unrelated write only re-runs it", async () => {
    const { a, b } = await pair();
    await a.exec(["SET", "w", "0"]);
    const watch = await a.watch(["w"]);
    await b.exec(["SET", "w", "1"]);
    expect(
      await a.transaction(
        [
          ["KEYS", "*"],
          ["SET", "w", "2"],
        ],
        watch,
      ),
    ).toBeNull();
    expect(await b.exec(["GET", "w"])).toBe("1");
  });

  it("past the key bound it is refused with one error naming the limit, and nothing is written", async () => {
    const { a } = await pair({ keyspaceTxnKeys: 20 });
    await a.exec(["MSET", ...Array.from({ length: 21 }, (_, i) => [`k${i}`, "v"]).flat()]);
    const error = await a.transaction([["DBSIZE"], ["SET", "new", "1"]]).catch((e) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).message).toMatch(/inside MULTI read the whole keyspace .* up to 20 keys/);
    expect(await a.exec(["EXISTS", "new"])).toBe(0);
    // Outside MULTI they work at any size.
    expect(await a.exec(["DBSIZE"])).toBe(21);
  });
});
