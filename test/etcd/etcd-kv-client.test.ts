/**
 * The engine's KV client (server/engines/etcd/kv-client.ts) against a real etcd with auth on, and
 * against members that fail in the ways the engine must survive: refused, silent, oversized.
 */
import * as net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EtcdConnection, toStoreError } from "../../server/engines/etcd/client.js";
import {
  CompareResult,
  CompareTarget,
  EtcdCallError,
  EtcdKv,
  GrpcCode,
  int64Number,
  int64String,
} from "../../server/engines/etcd/kv-client.js";
import { type EtcdCluster, startEtcdCluster } from "../support/etcd-cluster.js";

const USER = { name: "root", password: "kv-s3cret" };
const deadline = (ms = 2000) => ({ deadline: new Date(Date.now() + ms) });

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe("the engine's KV client", () => {
  let cluster: EtcdCluster;
  const closers: (() => void)[] = [];
  beforeAll(async () => {
    // Tokens etcd forgets after 1 idle second: the client must renew them by itself.
    cluster = await startEtcdCluster({ size: 1, extraArgs: ["--auth-token-ttl", "1"] });
    const admin = new EtcdConnection({ endpoints: cluster.endpoints });
    await admin.client.user("root").create(USER.password);
    await admin.client.user("root").addRole("root");
    await admin.client.auth.authEnable();
    admin.close();
  }, 60_000);
  afterAll(async () => {
    for (const c of closers) c();
    await cluster?.stop();
  }, 30_000);

  const client = (endpoints = cluster.endpoints, extra: Partial<ConstructorParameters<typeof EtcdKv>[0]> = {}) => {
    const kv = new EtcdKv({ endpoints, user: USER, ...extra });
    closers.push(() => kv.close());
    return kv;
  };

  it("carries etcd's messages both ways: txn with compares, range, count, revisions", async () => {
    const kv = client();
    const key = Buffer.from("kv/a");
    const put = await kv.txn(
      {
        compare: [{ key, target: CompareTarget.CREATE, result: CompareResult.EQUAL, create_revision: 0 }],
        success: [{ request_put: { key, value: Buffer.from("one") } }],
        failure: [{ request_range: { key } }],
      },
      deadline(),
    );
    expect(put.succeeded).toBe(true);
    const got = await kv.range({ key }, deadline());
    expect(got.kvs.map((k) => k.value.toString())).toEqual(["one"]);
    expect(int64String(got.kvs[0]?.mod_revision)).toBe(int64String(put.header.revision));
    // The same compare now fails: the else-branch returns the value.
    const again = await kv.txn(
      {
        compare: [{ key, target: CompareTarget.CREATE, result: CompareResult.EQUAL, create_revision: 0 }],
        success: [{ request_put: { key, value: Buffer.from("two") } }],
        failure: [{ request_range: { key } }],
      },
      deadline(),
    );
    expect(again.succeeded).toBe(false);
    expect(again.responses[0]?.response_range.kvs[0]?.value.toString()).toBe("one");
    const count = await kv.range(
      { key: Buffer.from("kv/"), range_end: Buffer.from("kv0"), count_only: true },
      deadline(),
    );
    expect(int64Number(count.count)).toBe(1);
    // An absent key: no kvs, revision "0" where the engine reads one.
    expect((await kv.range({ key: Buffer.from("kv/none") }, deadline())).kvs).toEqual([]);
    expect(int64String(undefined)).toBe("0");
    // Puts' and deletes' answers are skipped undecoded; the ranges among them keep their places.
    const mixed = await kv.txn(
      {
        success: [
          { request_put: { key: Buffer.from("kv/b"), value: Buffer.from("b") } },
          { request_range: { key } },
          { request_delete_range: { key: Buffer.from("kv/c") } },
          { request_range: { key: Buffer.from("kv/c") } },
        ],
      },
      deadline(),
    );
    expect(mixed.responses).toHaveLength(4);
    expect(mixed.responses[1]?.response_range.kvs[0]?.value.toString()).toBe("one");
    expect(mixed.responses[3]?.response_range.kvs).toEqual([]);
    expect(Object.keys(mixed.responses[0] ?? {}).filter((k) => !k.startsWith("_"))).toEqual([]);
  });

  it("renews the auth token etcd forgot (--auth-token-ttl), and reports wrong credentials as such", async () => {
    const kv = client();
    await kv.range({ key: Buffer.from("kv/a") }, deadline());
    // etcd checks token TTLs every ~second: wait until the token is surely gone.
    await new Promise((r) => setTimeout(r, 3000));
    const got = await kv.range({ key: Buffer.from("kv/a") }, deadline());
    expect(got.kvs[0]?.value.toString()).toBe("one");

    const wrong = new EtcdKv({ endpoints: cluster.endpoints, user: { name: "root", password: "nope" } });
    closers.push(() => wrong.close());
    const error = await wrong.range({ key: Buffer.from("kv/a") }, deadline()).catch((e) => e);
    expect(error).toBeInstanceOf(EtcdCallError);
    expect(toStoreError(error).message).toMatch(/etcd refused the credentials/);
    const none = new EtcdKv({ endpoints: cluster.endpoints });
    closers.push(() => none.close());
    expect(toStoreError(await none.range({ key: Buffer.from("kv/a") }, deadline()).catch((e) => e)).message).toMatch(
      /etcd refused the credentials/,
    );
  }, 30_000);

  it("a refused member costs one failed call: later calls go to the next endpoint", async () => {
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const kv = client([dead, ...cluster.endpoints]);
    const failures: unknown[] = [];
    for (let i = 0; i < 10; i++)
      await kv.range({ key: Buffer.from("kv/a") }, deadline()).catch((e: unknown) => failures.push(e));
    // 0 when the client started on the live member, 1 when it started on the dead one.
    expect(failures.length).toBeLessThanOrEqual(1);
    for (const f of failures) expect((f as EtcdCallError).code).toBe(GrpcCode.UNAVAILABLE);
    // Through the engine's connection (retries transient failures): never fails.
    const connection = new EtcdConnection({ endpoints: [dead, ...cluster.endpoints], user: USER });
    closers.push(() => connection.close());
    for (let i = 0; i < 4; i++) await connection.call((o) => connection.kv.range({ key: Buffer.from("kv/a") }, o));
  });

  it("a member that accepts and never answers: the call ends at its deadline, not later", async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    try {
      const kv = client([`http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`], { user: undefined });
      const t0 = Date.now();
      const error = await kv.range({ key: Buffer.from("kv/a") }, deadline(300)).catch((e) => e);
      expect(error).toBeInstanceOf(EtcdCallError);
      expect((error as EtcdCallError).code).toBe(GrpcCode.DEADLINE_EXCEEDED);
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(toStoreError(error).code).toBe("UNAVAILABLE");
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  it("a response over the size bound is refused as too large (never buffered without bound)", async () => {
    const kv = client(cluster.endpoints, { maxResponseBytes: 1024 });
    await kv.txn(
      { success: [{ request_put: { key: Buffer.from("kv/big"), value: Buffer.alloc(4096, 1) } }] },
      deadline(),
    );
    const error = await kv.range({ key: Buffer.from("kv/big") }, deadline()).catch((e) => e);
    expect(error).toBeInstanceOf(EtcdCallError);
    expect((error as EtcdCallError).code).toBe(GrpcCode.RESOURCE_EXHAUSTED);
    expect(toStoreError(error).code).toBe("LIMIT");
    // The connection is still good for the next call.
    expect((await kv.range({ key: Buffer.from("kv/a") }, deadline())).kvs).toHaveLength(1);
  });
});
