import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EtcdCluster, startEtcdCluster } from "../support/etcd-cluster.js";

/** Put and linearizable get through etcd's JSON gateway (no client library: this tests the harness). */
async function put(url: string, key: string, value: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/v3/kv/put`, {
      method: "POST",
      body: JSON.stringify({ key: btoa(key), value: btoa(value) }),
      signal: AbortSignal.timeout(3000),
    });
    return res.ok;
  } catch {
    return false;
  }
}

async function get(url: string, key: string): Promise<string | undefined> {
  const res = await fetch(`${url}/v3/kv/range`, {
    method: "POST",
    body: JSON.stringify({ key: btoa(key) }),
    signal: AbortSignal.timeout(3000),
  });
  const body = (await res.json()) as { kvs?: { value: string }[] };
  const v = body.kvs?.[0]?.value;
  return v === undefined ? undefined : atob(v);
}

describe("test etcd cluster", () => {
  let cluster: EtcdCluster;
  beforeAll(async () => {
    cluster = await startEtcdCluster();
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 30_000);

  it("starts 3 members on loopback that replicate a write", async () => {
    expect(cluster.members).toHaveLength(3);
    for (const m of cluster.members) {
      expect(m.clientUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(m.running).toBe(true);
    }
    const [a, b] = cluster.members;
    expect(await put(a!.clientUrl, "harness/k", "v1")).toBe(true);
    expect(await get(b!.clientUrl, "harness/k")).toBe("v1");
  });

  it("accepts a transaction of 1000 operations (--max-txn-ops 1024)", async () => {
    const success = Array.from({ length: 1000 }, (_, i) => ({
      request_put: { key: btoa(`harness/txn/${i}`), value: btoa("x") },
    }));
    const res = await fetch(`${cluster.endpoints[0]}/v3/kv/txn`, { method: "POST", body: JSON.stringify({ success }) });
    expect(res.ok).toBe(true);
  });

  it("elects a new leader after SIGKILL of the leader, keeps acknowledged data, and the old leader rejoins", async () => {
    const leader = await cluster.leader();
    const pid = leader.pid as number;
    await cluster.kill(leader);
    expect(leader.running).toBe(false);
    expect(() => process.kill(pid, 0)).toThrow(); // the process is gone
    const next = await cluster.waitForLeader();
    expect(next).not.toBe(leader);
    expect(await put(next.clientUrl, "harness/after-kill", "v2")).toBe(true);
    expect(await get(next.clientUrl, "harness/k")).toBe("v1");
    await cluster.restart(leader);
    expect(leader.running).toBe(true);
    await cluster.waitForLeader();
    // The restarted member caught up: a linearizable read through it sees the write made while it was down.
    expect(await get(leader.clientUrl, "harness/after-kill")).toBe("v2");
  }, 60_000);

  it("loses quorum with 2 of 3 members down and regains it when one returns", async () => {
    const f1 = await cluster.follower();
    await cluster.kill(f1);
    const f2 = await cluster.follower();
    await cluster.kill(f2);
    const survivor = cluster.members.find((m) => m.running)!;
    expect(await put(survivor.clientUrl, "harness/no-quorum", "x")).toBe(false);
    await cluster.restart(f1);
    await cluster.waitForLeader();
    expect(await put(survivor.clientUrl, "harness/quorum-again", "y")).toBe(true);
    await cluster.restart(f2);
    await cluster.waitForLeader();
  }, 60_000);
});
