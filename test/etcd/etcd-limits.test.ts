/** etcd's own limits through the engine: a clear Redis-style error each, never a hang or a half write. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EtcdConnection } from "../../server/engines/etcd/client.js";
import { EtcdRepository } from "../../server/engines/etcd/etcd-repository.js";
import { StoreError } from "../../shared/store/errors.js";
import { createStore } from "../../shared/store/store.js";
import { type EtcdCluster, startEtcdCluster } from "../support/etcd-cluster.js";

describe("etcd limits through the engine", () => {
  let cluster: EtcdCluster;
  let repo: EtcdRepository;
  beforeAll(async () => {
    // One member with a 2 MiB space quota, so the NOSPACE alarm is reached in a few writes.
    cluster = await startEtcdCluster({ size: 1, extraArgs: ["--quota-backend-bytes", String(2 * 1024 * 1024)] });
    repo = new EtcdRepository({ endpoints: cluster.endpoints, prefix: "limits/" });
  }, 60_000);
  afterAll(async () => {
    await repo?.close();
    await cluster?.stop();
  }, 30_000);

  it("a transaction past etcd's --max-txn-ops is refused as too large, nothing applied", async () => {
    const store = createStore({ repository: repo });
    const args = Array.from({ length: 1100 }, (_, i) => [`t${i}`, "v"]).flat();
    const error = await store.exec(["MSET", ...args]).catch((e) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe("LIMIT");
    expect((error as StoreError).message).toMatch(/transaction too large for the etcd engine/);
    expect(await store.exec(["EXISTS", "t0", "t1099"])).toBe(0);
  });

  it("etcd's space quota (NOSPACE alarm) turns writes into Redis's OOM error; reads go on", async () => {
    const store = createStore({ repository: repo });
    await store.exec(["SET", "kept", "v"]);
    const big = "x".repeat(500 * 1024);
    let error: unknown;
    for (let i = 0; i < 40 && error === undefined; i++) {
      error = await store.exec(["SET", `fill${i % 3}`, big]).then(
        () => undefined,
        (e) => e,
      );
    }
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe("OOM");
    expect((error as StoreError).message).toMatch(/^OOM command not allowed .*database space exceeded/);
    expect(await store.exec(["GET", "kept"])).toBe("v");
  }, 60_000);
});

describe("etcd authentication (--etcd-user / --etcd-password)", () => {
  let cluster: EtcdCluster;
  const closers: (() => Promise<void> | void)[] = [];
  beforeAll(async () => {
    cluster = await startEtcdCluster({ size: 1 });
    // Turn on etcd's auth: a root user (etcd requires it) with a password.
    const admin = new EtcdConnection({ endpoints: cluster.endpoints });
    await admin.client.user("root").create("s3cret");
    await admin.client.user("root").addRole("root");
    await admin.client.auth.authEnable();
    admin.close();
  }, 60_000);
  afterAll(async () => {
    for (const c of closers) await c();
    await cluster?.stop();
  }, 30_000);

  it("works with the right credentials and fails loudly (UNAVAILABLE naming the refusal) without", async () => {
    const good = new EtcdRepository({
      endpoints: cluster.endpoints,
      prefix: "auth/",
      user: { name: "root", password: "s3cret" },
    });
    closers.push(() => good.close());
    const store = createStore({ repository: good });
    await store.exec(["SET", "k", "v"]);
    expect(await store.exec(["GET", "k"])).toBe("v");

    for (const user of [undefined, { name: "root", password: "wrong" }]) {
      const bad = new EtcdRepository({ endpoints: cluster.endpoints, prefix: "auth/", user, retryBudgetMs: 500 });
      closers.push(() => bad.close());
      const error = await createStore({ repository: bad })
        .exec(["GET", "k"])
        .catch((e) => e);
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).code).toBe("UNAVAILABLE");
      expect((error as StoreError).message, String((error as StoreError).cause)).toMatch(
        /etcd refused the credentials/,
      );
    }
  }, 60_000);
});
