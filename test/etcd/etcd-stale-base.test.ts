/**
 * A write command's CAS base may be stale (the revision cache, or a serializable read from one
 * member): the commit's compare catches that for a write, but a command that ends WITHOUT writing
 * (an error, SET NX on a taken key…) must never answer from it. A server whose cache is never
 * invalidated (no outbox watch) is the worst case.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EtcdRepository } from "../../server/engines/etcd/etcd-repository.js";
import { StoreError } from "../../shared/store/errors.js";
import { OK } from "../../shared/store/reply.js";
import { createStore } from "../../shared/store/store.js";
import { type EtcdCluster, startEtcdCluster } from "../support/etcd-cluster.js";

describe("a stale CAS base never answers", () => {
  let cluster: EtcdCluster;
  const repos: EtcdRepository[] = [];
  beforeAll(async () => {
    cluster = await startEtcdCluster();
  }, 60_000);
  afterAll(async () => {
    await Promise.all(repos.map((r) => r.close()));
    await cluster?.stop();
  }, 30_000);

  it("errors and write commands that write nothing are answered from etcd, not from the cache", async () => {
    const prefix = "stale/";
    // A: cache on and no outbox watch, so its cache is never invalidated. B: another server.
    const ra = new EtcdRepository({ endpoints: cluster.endpoints, prefix, cacheKeys: 100 });
    const rb = new EtcdRepository({ endpoints: cluster.endpoints, prefix });
    repos.push(ra, rb);
    const a = createStore({ repository: ra });
    const b = createStore({ repository: rb });

    await a.exec(["SET", "k", "v"]); // A caches k = "v"
    await b.exec(["DEL", "k"]);
    await b.exec(["HSET", "k", "f", "1"]);
    const error = await a.exec(["INCR", "k"]).catch((e) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).message).toMatch(/^WRONGTYPE/);

    await a.exec(["SET", "n", "v"]); // cached
    await b.exec(["DEL", "n"]);
    expect(await a.exec(["SET", "n", "x", "NX"])).toEqual(OK);
    await b.exec(["SET", "n", "y"]);
    expect(await a.exec(["SET", "n", "z", "NX"])).toBeNull();
    expect(await a.exec(["GETDEL", "gone"])).toBeNull();
    expect(await a.exec(["INCR", "n2"])).toBe(1);
    await b.exec(["SET", "n2", "10"]);
    expect(await a.exec(["INCR", "n2"])).toBe(11);
    expect(await b.exec(["GET", "n"])).toBe("y");
  });
});
