/**
 * Blind writes on the etcd engine (SET without NX/XX/GET/KEEPTTL, SETEX, PSETEX, MSET, and a MULTI
 * of them): the engine commits them in ONE etcd transaction without reading the keys first. These
 * tests attack what that must not break: concurrent blind writes and INCRs from two servers, a
 * commit whose reply is lost (never applied twice, events announced once), WATCH across servers,
 * and the deadline index (an entry exists exactly for every key with a deadline, so the sweeper
 * never deletes a key a blind SET made persistent).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envelopeDeadline } from "../../server/engines/etcd/envelope.js";
import type { EtcdRepository } from "../../server/engines/etcd/etcd-repository.js";
import { EtcdCallError, GrpcCode } from "../../server/engines/etcd/kv-client.js";
import { ElectedSweeper } from "../../server/engines/etcd/sweeper.js";
import { invokeBatch } from "../../shared/api/invoke.js";
import type { KeyspaceEvent } from "../../shared/store/events.js";
import { OK } from "../../shared/store/reply.js";
import type { Store } from "../../shared/store/store.js";
import { type EtcdCluster, startEtcdCluster } from "../support/etcd-cluster.js";
import { storePair } from "./store-pair.js";

describe("etcd engine: blind writes in one transaction", () => {
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
  /** Two stores over two repositories (two connections) sharing a fresh prefix. */
  const pair = () => storePair(cluster.endpoints, `blind/${++n}/`, closers);

  /** Counts the KV calls of `repo` (Range and Txn) while `fn` runs. */
  async function calls(repo: EtcdRepository, fn: () => Promise<unknown>): Promise<{ range: number; txn: number }> {
    const kv = repo.kv;
    const count = { range: 0, txn: 0 };
    const range = kv.range.bind(kv);
    const txn = kv.txn.bind(kv);
    kv.range = (r, o) => {
      count.range++;
      return range(r, o);
    };
    kv.txn = (r, o) => {
      count.txn++;
      return txn(r, o);
    };
    try {
      await fn();
    } finally {
      kv.range = range;
      kv.txn = txn;
    }
    return count;
  }

  /**
   * The layout's invariant, read straight from etcd: every stored key with a deadline has its
   * deadline-index entry, and a key carries a lease exactly when it has a deadline. A blind write
   * leaves the entry of a deadline it dropped behind (stale) until the sweeper passes it: with
   * `swept` (a sweep past every deadline ran since), the entries are exactly those of the keys.
   */
  async function checkIndex(repo: EtcdRepository, swept = false): Promise<{ withTtl: string[] }> {
    const all = await repo.client.getAll().prefix(repo.layout.prefix).exec();
    const data = new Map<string, { at: number | undefined; lease: string }>();
    const index = new Set<string>();
    for (const kv of all.kvs) {
      const key = Buffer.from(kv.key);
      if (key.subarray(0, repo.layout.data.length).equals(repo.layout.data))
        data.set(repo.layout.keyOf(key), { at: envelopeDeadline(Buffer.from(kv.value)), lease: String(kv.lease) });
      else if (key.subarray(0, repo.layout.index.length).equals(repo.layout.index)) {
        const { key: k, atMs } = repo.layout.parseIndexKey(key);
        index.add(`${k}@${atMs}`);
      }
    }
    const expected = new Set<string>();
    const withTtl: string[] = [];
    for (const [key, { at, lease }] of data) {
      if (at !== undefined) {
        expected.add(`${key}@${Math.trunc(at)}`);
        withTtl.push(key);
      }
      expect(lease !== "0", `lease of ${key} (deadline ${at})`).toBe(at !== undefined);
    }
    if (swept) expect([...index].sort()).toEqual([...expected].sort());
    else expect([...index].filter((e) => expected.has(e)).sort()).toEqual([...expected].sort());
    return { withTtl: withTtl.sort() };
  }

  it("a TTL-tag lease revoked by hand is replaced: both servers' next writes with a deadline commit", async () => {
    const { a, b, ra } = await pair();
    await a.exec(["SETEX", "warm", "100", "v"]);
    await b.exec(["SETEX", "warm2", "100", "v"]);
    const tagOf = async () => (await ra.client.get(ra.layout.ttlLease.toString("latin1")).string()) ?? "";
    const revoked = await tagOf();
    expect(revoked).not.toBe("");
    // The careless operator: every key with a deadline goes with it (FLEET.md warns).
    await ra.client.leaseClient.leaseRevoke({ ID: revoked });
    expect(await a.exec(["SET", "k", "v", "EX", "100"])).toBe(OK);
    expect(await b.exec(["MSET", "m", "1"])).toBe(OK);
    expect(await b.exec(["SETEX", "j", "100", "v"])).toBe(OK);
    const tag = await tagOf();
    expect(tag).not.toBe(revoked);
    expect(await a.exec(["MGET", "warm", "k", "j", "m"])).toEqual([null, "v", "v", "1"]);
    // Only the new keys with a deadline carry a lease, the new tag (the revoked keys' index
    // entries stay behind until the sweeper finds their keys gone).
    const data = ra.layout.data.toString("latin1");
    const leases = (await ra.client.getAll().prefix(data).exec()).kvs
      .filter((kv) => String(kv.lease) !== "0")
      .map((kv) => String(kv.lease));
    expect(leases).toEqual([tag, tag]);
  });

  it("a plain SET, SETEX and an MSET are one etcd transaction; SET NX/GET/KEEPTTL still read first", async () => {
    const { a, ra } = await pair();
    // The first write with a deadline creates the keyspace's TTL-tag lease (once per keyspace).
    const first = await calls(ra, () => a.exec(["SETEX", "warm", "100", "v"]));
    expect(first).toEqual({ range: 1, txn: 2 });
    expect(await calls(ra, () => a.exec(["SET", "k", "v"]))).toEqual({ range: 0, txn: 1 });
    expect(await calls(ra, () => a.exec(["SET", "k", "w"]))).toEqual({ range: 0, txn: 1 });
    expect(await calls(ra, () => a.exec(["MSET", "m1", "1", "m2", "2", "k", "x"]))).toEqual({ range: 0, txn: 1 });
    expect(await calls(ra, () => a.exec(["SETEX", "t", "100", "v"]))).toEqual({ range: 0, txn: 1 });
    expect(await calls(ra, () => a.exec(["SET", "t2", "v", "PX", "100000"]))).toEqual({ range: 0, txn: 1 });
    expect(
      await calls(ra, () =>
        a.transaction([
          ["SET", "x1", "1"],
          ["MSET", "x2", "2", "x3", "3"],
        ]),
      ),
    ).toEqual({
      range: 0,
      txn: 1,
    });
    // Not blind: the reply or the write depends on the old value.
    const nx = await calls(ra, () => a.exec(["SET", "k", "v", "NX"]));
    expect(nx.range).toBeGreaterThanOrEqual(1);
    expect((await calls(ra, () => a.exec(["SET", "k", "y", "GET"]))).range).toBe(1);
    expect((await calls(ra, () => a.exec(["SET", "t", "y", "KEEPTTL"]))).range).toBe(1);
    expect(await a.exec(["MGET", "k", "m1", "m2", "t", "x1", "x2", "x3"])).toEqual(["y", "1", "2", "y", "1", "2", "3"]);
    const ttl = (await a.exec(["PTTL", "t"])) as number;
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(100_000);
    expect((await checkIndex(ra)).withTtl).toEqual(["t", "t2", "warm"]);
  });

  it("a blind SET over a key with a deadline drops the deadline; the sweeper drops its stale index entry and leaves the key alone", async () => {
    const { a, b, ra, rb } = await pair();
    const seen: KeyspaceEvent[] = [];
    b.events.subscribe({}, (e) => seen.push(e));
    await a.exec(["SET", "p", "old", "PX", "300"]);
    await a.exec(["MSET", "q1", "x", "q2", "y"]);
    await a.exec(["PEXPIRE", "q2", "300"]);
    expect((await checkIndex(ra)).withTtl).toEqual(["p", "q2"]);
    // From the other server, blind: one transaction, no read, no compare; the old entries stay.
    expect(await b.exec(["SET", "p", "new"])).toEqual(OK);
    expect(await b.exec(["MSET", "q1", "x2", "q2", "y2"])).toEqual(OK);
    expect(rb.engineStats().blindFallbacks).toBe(0);
    expect(await a.exec(["PTTL", "p"])).toBe(-1);
    expect(await a.exec(["PTTL", "q2"])).toBe(-1);
    expect((await checkIndex(ra)).withTtl).toEqual([]);
    expect(await a.exec(["DBSIZE"])).toBe(3);
    // Past the old deadlines, a sweep drops the two stale entries and deletes nothing.
    await new Promise((r) => setTimeout(r, 400));
    expect(await a.exec(["DBSIZE"])).toBe(3);
    const sweeper = new ElectedSweeper(rb, b.clock);
    expect(await sweeper.sweepOnce(Date.now() + 1_000)).toBe(2);
    expect(sweeper.stats().expired).toBe(0);
    expect(await a.exec(["MGET", "p", "q1", "q2"])).toEqual(["new", "x2", "y2"]);
    expect((await checkIndex(ra, true)).withTtl).toEqual([]);
    // A blind SET over a key already due: `set`, then the sweeper's `expired` (etcd's history says
    // the write came after the deadline; the memory engine announces it before the `set`).
    await a.exec(["SET", "d", "v", "PX", "1"]);
    await new Promise((r) => setTimeout(r, 20));
    await b.exec(["SET", "d", "w"]);
    await rb.eventsCaughtUp();
    expect(seen.filter((e) => e.key === "d").map((e) => e.event)).toEqual(["set", "expire", "set"]);
    expect(await sweeper.sweepOnce(Date.now() + 1_000)).toBe(1);
    await rb.eventsCaughtUp();
    expect(seen.filter((e) => e.key === "d").map((e) => e.event)).toEqual(["set", "expire", "set", "expired"]);
    expect(await a.exec(["GET", "d"])).toBe("w");
    expect((await checkIndex(ra, true)).withTtl).toEqual([]);
  });

  it("hundreds of stale index entries (TTL keys then MSET without one) and one really due key: one sweep settles them all, histories read concurrently (bounded), every watch cancelled", async () => {
    const { a, b, ra, rb } = await pair();
    const seen: KeyspaceEvent[] = [];
    a.events.subscribe({}, (e) => seen.push(e));
    const stale = Array.from({ length: 300 }, (_, i) => `st${i}`);
    const late = ["late0", "late1", "late2"]; // overwritten after their deadline: one `expired` each
    // The first change after the entry is not the current value: these need a history watch.
    const gone = "gone"; // overwritten after its deadline, then deleted: one `expired`
    const twice = "twice"; // overwritten twice before its deadline: no event
    const fail = ["fail0", "fail1", "fail2"]; // overwritten, deleted, and their watch refused: `unknown`
    const signal = new AbortController().signal;
    for (let i = 0; i < stale.length; i += 50)
      await invokeBatch(
        a,
        stale.slice(i, i + 50).map((k) => ["SET", k, "old", "PX", "600000"]),
        signal,
      );
    await invokeBatch(
      a,
      [
        ...[twice, ...fail].map((k) => ["SET", k, "old", "PX", "600000"]),
        ...[gone, ...late].map((k) => ["SET", k, "old", "PX", "1"]),
      ],
      signal,
    );
    await new Promise((r) => setTimeout(r, 20));
    // The careless user: the same keys written again without a TTL, blind, from the other server.
    for (let i = 0; i < stale.length; i += 100)
      expect(await b.exec(["MSET", ...stale.slice(i, i + 100).flatMap((k) => [k, "new"])])).toBe(OK);
    expect(await b.exec(["MSET", ...[gone, twice, ...fail, ...late].flatMap((k) => [k, "new"])])).toBe(OK);
    expect(await b.exec(["SET", twice, "newer"])).toBe(OK);
    expect(await b.exec(["DEL", gone, ...fail])).toBe(4);
    expect(await a.exec(["SET", "due", "v", "PX", "1"])).toBe(OK);
    await new Promise((r) => setTimeout(r, 5));
    // Count the sweeper's history watches (created, cancelled) and its history ranges at once.
    const client = rb.client;
    const watch = client.watch.bind(client);
    let created = 0;
    let cancelled = 0;
    client.watch = () => {
      const builder = watch();
      const key = builder.key.bind(builder);
      let failing = false;
      builder.key = (k) => {
        failing = fail.some((f) => Buffer.from(k).equals(rb.layout.dataKey(f)));
        return key(k);
      };
      const create = builder.create.bind(builder);
      builder.create = async () => {
        if (failing) throw new Error("watch refused (test)");
        const w = await create();
        created++;
        const cancel = w.cancel.bind(w);
        w.cancel = async () => {
          cancelled++;
          return cancel();
        };
        return w;
      };
      return builder;
    };
    const kv = rb.kv;
    const range = kv.range.bind(kv);
    let inFlight = 0;
    let peak = 0;
    kv.range = async (r, o) => {
      if (r.revision === undefined) return range(r, o);
      peak = Math.max(peak, ++inFlight);
      try {
        return await range(r, o);
      } finally {
        inFlight--;
      }
    };
    const sweeper = new ElectedSweeper(rb, b.clock, { batch: 512 });
    const entries = stale.length + late.length + fail.length + 3;
    let settled = 0;
    const hedges = rb.connection.hedges;
    const started = performance.now();
    let used: { range: number; txn: number };
    try {
      used = await calls(rb, async () => {
        settled = await sweeper.sweepOnce(Date.now() + 1_000_000);
      });
    } finally {
      client.watch = watch;
      kv.range = range;
    }
    const ms = performance.now() - started;
    console.log(
      `sweeper: ${entries} entries (${entries - 1} stale) in one sweep: ${ms.toFixed(0)} ms, ${(((entries - 1) * 1000) / ms).toFixed(0)} stale/s`,
    );
    expect(settled).toBe(entries);
    // One read and one commit for the batch; per stale entry with a current value, one range of
    // the key before it; one outbox range per resolved history (a hedged resend on a slow host is
    // one more send of the same call).
    const kvCalls = 1 + (stale.length + late.length + 1) + (stale.length + late.length + 2) + 2;
    expect(used.range + used.txn - (rb.connection.hedges - hedges)).toBe(kvCalls);
    expect(peak).toBe(32);
    expect(created).toBe(2);
    expect(cancelled).toBe(created);
    expect(sweeper.stats().watching).toBe(0);
    expect(sweeper.stats()).toMatchObject({ expired: 2 + late.length, unknown: fail.length, conflicts: 0 });
    await ra.eventsCaughtUp();
    const expired = seen.filter((e) => e.event === "expired").map((e) => e.key);
    expect(expired.sort()).toEqual(["due", gone, ...late].sort());
    expect(await sweeper.sweepOnce(Date.now() + 1_000_000)).toBe(0);
    expect(await a.exec(["GET", "due"])).toBeNull();
    expect(await a.exec(["MGET", "st0", "st299", twice, "late0", gone])).toEqual(["new", "new", "newer", "new", null]);
    expect(await a.exec(["DBSIZE"])).toBe(stale.length + late.length + 1);
    expect((await checkIndex(ra, true)).withTtl).toEqual([]);
  }, 60_000);

  it("a key with a TTL overwritten by MSET (no TTL) at its old deadline, the sweeper running: the new value survives, `expired` once at most, DBSIZE exact", async () => {
    const { a, b, ra, rb } = await pair();
    const seen: KeyspaceEvent[] = [];
    a.events.subscribe({}, (e) => seen.push(e));
    const expiredOf = (key: string) => seen.filter((e) => e.event === "expired" && e.key === key).length;
    // Deterministic first: overwritten before its deadline (never expired: no event), and after
    // it (already due, not yet swept: one event), then a sweep past both deadlines.
    await a.exec(["SET", "early", "old", "PX", "300"]);
    await a.exec(["SET", "late", "old", "PX", "1"]);
    await new Promise((r) => setTimeout(r, 20));
    expect(await b.exec(["MSET", "early", "new", "late", "new"])).toBe(OK);
    expect(await a.exec(["DBSIZE"])).toBe(2);
    expect(await new ElectedSweeper(rb, b.clock).sweepOnce(Date.now() + 1_000)).toBeGreaterThanOrEqual(0);
    await ra.eventsCaughtUp();
    expect(await a.exec(["MGET", "early", "late"])).toEqual(["new", "new"]);
    expect([expiredOf("early"), expiredOf("late")]).toEqual([0, 1]);
    expect(await a.exec(["DBSIZE"])).toBe(2);
    // The race itself: a running sweeper (polling every 2 ms) and MSETs landing within a few ms
    // either side of the old deadlines.
    const sweeper = new ElectedSweeper(rb, b.clock, { intervalMs: 2 });
    closers.unshift(() => sweeper.stop());
    sweeper.start();
    for (let t = Date.now() + 10_000; !sweeper.stats().leading; await new Promise((r) => setTimeout(r, 20)))
      if (Date.now() > t) throw new Error("the sweeper was never elected");
    const rounds = 12;
    const keys: string[] = [];
    await Promise.all(
      Array.from({ length: rounds }, async (_, i) => {
        const key = `race${i}`;
        keys.push(key);
        await a.exec(["SET", key, "old", "PX", "150"]);
        const deadline = Date.now() + 150;
        await new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now() + (i % 7) - 4)));
        expect(await b.exec(["MSET", key, "new", `${key}:x`, "x"])).toBe(OK);
      }),
    );
    // Past every old deadline, after the running sweeper's next passes.
    const swept = sweeper.stats().sweeps;
    for (let t = Date.now() + 10_000; sweeper.stats().sweeps < swept + 5; await new Promise((r) => setTimeout(r, 20)))
      if (Date.now() > t) throw new Error("the sweeper stopped sweeping");
    await ra.eventsCaughtUp();
    expect(await a.exec(["MGET", ...keys])).toEqual(keys.map(() => "new"));
    expect(await b.exec(["DBSIZE"])).toBe(2 + 2 * rounds);
    for (const key of keys) expect(expiredOf(key), key).toBeLessThanOrEqual(1);
    expect((await checkIndex(ra)).withTtl).toEqual([]);
  }, 60_000);

  it("two servers doing concurrent blind SETs, SET EX and INCRs on the same keys: exact counts, the index invariant holds", async () => {
    const { a, b, ra, rb } = await pair();
    const keys = ["h0", "h1", "h2", "h3"];
    const work = (s: Store, id: string) => {
      const pending: Promise<unknown>[] = [];
      for (let i = 0; i < 40; i++) {
        const key = keys[i % keys.length] as string;
        const run = (...argv: string[]) =>
          s.exec(argv).catch((e: unknown) => {
            throw new Error(`${argv.join(" ")}: ${String(e)}`);
          });
        pending.push(run("INCR", "ctr"));
        if (i % 3 === 0) pending.push(run("SET", key, `${id}${i}`, "PX", "600000"));
        else if (i % 3 === 1) pending.push(run("SET", key, `${id}${i}`));
        else pending.push(run("MSET", key, `${id}${i}`, `${key}:x`, id));
      }
      return Promise.all(pending);
    };
    await Promise.all([work(a, "a"), work(b, "b")]);
    expect(await a.exec(["GET", "ctr"])).toBe("80");
    const values = await a.exec(["MGET", ...keys]);
    expect(await b.exec(["MGET", ...keys])).toEqual(values);
    for (const v of values as string[]) expect(v).toMatch(/^[ab]\d+$/);
    await checkIndex(ra);
    // INCR on a key a blind SET just wrote, across servers, stays exact.
    const mixed = (s: Store) =>
      (async () => {
        for (let i = 0; i < 10; i++) {
          await s.exec(["SET", "mix", "100"]);
          const got = (await s.exec(["INCR", "mix"])) as number;
          expect(got === 101 || got === 102).toBe(true);
        }
      })();
    await Promise.all([mixed(a), mixed(b)]);
    expect(ra.engineStats().conflicts + rb.engineStats().conflicts).toBeGreaterThan(0);
  }, 90_000);

  it("a blind commit whose reply is lost is sent again and applied once: one event, INCRs exact", async () => {
    const { a, b, ra } = await pair();
    const seen: KeyspaceEvent[] = [];
    b.events.subscribe({}, (e) => seen.push(e));
    await a.exec(["SET", "warm", "v", "EX", "1000"]); // the TTL-tag lease exists before replies get lost
    const kv = ra.kv;
    const txn = kv.txn.bind(kv);
    let lost = 0;
    let sent = 0;
    // Every other commit (a txn with a put) applies, then its reply is "lost" (a transient error).
    kv.txn = async (r, o) => {
      const res = await txn(r, o);
      if ((r.success ?? []).some((op) => op.request_put !== undefined) && sent++ % 2 === 0) {
        lost++;
        throw new EtcdCallError(GrpcCode.UNAVAILABLE, "UNAVAILABLE: reply lost (test)");
      }
      return res;
    };
    try {
      for (let i = 0; i < 10; i++) {
        expect(await a.exec(["SET", `r${i}`, "v"])).toEqual(OK);
        expect(await a.exec(["INCR", "rc"])).toBe(i + 1);
        expect(await a.exec(["MSET", `r${i}`, "w", `s${i}`, "w"])).toEqual(OK);
        expect(
          await a.transaction([
            ["SET", `t${i}`, "v", "EX", "1000"],
            ["SET", `u${i}`, "v"],
          ]),
        ).toEqual([OK, OK]);
        // A Batch's commits share one transaction: its lost reply is recognised as a whole.
        const batch = await invokeBatch(
          a,
          [
            ["SET", `v${i}`, "1"],
            ["INCR", "vc"],
            ["SET", `bx${i}`, "1", "PX", "1000000"],
          ],
          new AbortController().signal,
        );
        expect(batch).toEqual([OK, i + 1, OK]);
      }
    } finally {
      kv.txn = txn;
    }
    expect(lost).toBeGreaterThanOrEqual(20);
    // Each lost reply was either seen as an unknown outcome and re-sent, or had a hedged twin
    // (a commit slower than HEDGE_MS on a loaded host) whose answer settled it: either way applied once.
    const stats = ra.engineStats();
    expect(stats.ambiguous + stats.hedges).toBeGreaterThanOrEqual(lost);
    expect(await b.exec(["GET", "rc"])).toBe("10");
    await ra.eventsCaughtUp();
    await b.exec(["PING"]);
    const count = (event: string, prefix: string) =>
      seen.filter((e) => e.event === event && e.key.startsWith(prefix)).length;
    expect(count("set", "r")).toBe(20); // 10 SETs + 10 MSETs of r*
    expect(count("set", "s")).toBe(10);
    expect(count("set", "t")).toBe(10);
    expect(count("expire", "t")).toBe(10);
    expect(count("set", "u")).toBe(10);
    expect(count("incrby", "rc")).toBe(10);
    expect(count("set", "v")).toBe(10);
    expect(count("incrby", "vc")).toBe(10);
    expect(count("set", "bx")).toBe(10);
    expect(await b.exec(["GET", "vc"])).toBe("10");
    await checkIndex(ra);
  });

  it("a Batch's independent commits share one etcd transaction; conflicting ones still end exact", async () => {
    const { a, b, ra } = await pair();
    const sets = Array.from({ length: 100 }, (_, i) => ["SET", `bs${i}`, `v${i}`]);
    const used = await calls(ra, async () => {
      expect(await invokeBatch(a, sets, new AbortController().signal)).toEqual(sets.map(() => OK));
    });
    expect(used).toEqual({ range: 0, txn: 1 });
    expect(await b.exec(["MGET", "bs0", "bs50", "bs99"])).toEqual(["v0", "v50", "v99"]);
    // INCRs on 10 keys from both servers at once, each server in Batches: shared transactions
    // fail as a whole when one key conflicts, then each commit goes alone; counts stay exact.
    const incrs = Array.from({ length: 50 }, (_, i) => ["INCR", `bc${i % 10}`]);
    await Promise.all([
      invokeBatch(a, incrs, new AbortController().signal),
      invokeBatch(b, incrs, new AbortController().signal),
      invokeBatch(a, incrs, new AbortController().signal),
    ]);
    expect(await b.exec(["MGET", ...Array.from({ length: 10 }, (_, i) => `bc${i}`)])).toEqual(
      Array.from({ length: 10 }, () => "15"),
    );
    await checkIndex(ra);
  }, 60_000);

  it("WATCH across servers: a blind SET on one breaks the other's WATCH; a blind MULTI under WATCH aborts on the other's write", async () => {
    const { a, b } = await pair();
    await a.exec(["SET", "w", "0"]);
    // A watches; B's blind MULTI SET changes the key: A's EXEC aborts.
    const wa = await a.watch(["w"]);
    expect(await b.transaction([["SET", "w", "from-b"]])).toEqual([OK]);
    expect(await a.transaction([["SET", "w", "from-a"]], wa)).toBeNull();
    wa.release();
    expect(await a.exec(["GET", "w"])).toBe("from-b");
    // B watches and queues a blind SET; A's blind SET lands first: B's EXEC aborts.
    const wb = await b.watch(["w"]);
    expect(await a.exec(["SET", "w", "a2"])).toEqual(OK);
    expect(
      await b.transaction(
        [
          ["SET", "w", "b2"],
          ["MSET", "w2", "b2"],
        ],
        wb,
      ),
    ).toBeNull();
    wb.release();
    expect(await b.exec(["MGET", "w", "w2"])).toEqual(["a2", null]);
    // Unbroken, the watched blind MULTI commits.
    const wc = await b.watch(["w"]);
    expect(await b.transaction([["SET", "w", "b3"]], wc)).toEqual([OK]);
    wc.release();
    expect(await a.exec(["GET", "w"])).toBe("b3");
    // A WATCH on a key a blind SET creates (absent at WATCH) is broken too.
    const wd = await a.watch(["fresh"]);
    await b.exec(["SET", "fresh", "x"]);
    expect(await a.transaction([["SET", "fresh", "y"]], wd)).toBeNull();
    wd.release();
  });
  // Last: it compacts the cluster's history (every other test here is done with it).
  it("stale entries whose history is compacted: dropped, counted `unknown`, no event, no watch left open", async () => {
    const { a, b, rb } = await pair();
    const seen: KeyspaceEvent[] = [];
    a.events.subscribe({}, (e) => seen.push(e));
    await a.exec(["SET", "ck", "old", "PX", "600000"]);
    await a.exec(["SET", "cg", "old", "PX", "600000"]);
    expect(await b.exec(["MSET", "ck", "new", "cg", "new"])).toBe(OK);
    expect(await b.exec(["DEL", "cg"])).toBe(1); // no current value: its history needs a watch
    const head = await rb.client.kv.range({ key: Buffer.from("compact-probe") });
    await rb.client.kv.compact({ revision: head.header.revision, physical: true });
    const sweeper = new ElectedSweeper(rb, b.clock);
    expect(await sweeper.sweepOnce(Date.now() + 1_000_000)).toBe(2);
    expect(sweeper.stats()).toMatchObject({ expired: 0, unknown: 2, watching: 0 });
    expect(await sweeper.sweepOnce(Date.now() + 1_000_000)).toBe(0);
    expect(await a.exec(["MGET", "ck", "cg"])).toEqual(["new", null]);
    expect(seen.filter((e) => e.event === "expired")).toEqual([]);
  }, 60_000);
});
