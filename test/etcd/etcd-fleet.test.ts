/**
 * Two Memorabilia server processes (`dist/server.mjs --engine etcd`) on one real 3-member etcd
 * cluster: one keyspace, seen through either server.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { command, utf8 } from "../../server/client-node.js";
import { type EtcdCluster, startEtcdCluster } from "../support/etcd-cluster.js";
import { type FleetServer, startFleetServer, until } from "./support.js";

interface SeenEvent {
  readonly event: string;
  readonly key: string;
}

/** Collects the Watch stream of `server` (every key) until `stop()`. */
function watchAll(server: FleetServer): { events: SeenEvent[]; stop(): void } {
  const events: SeenEvent[] = [];
  const abort = new AbortController();
  (async () => {
    for await (const res of server.client.watch.watch({ pattern: "*" }, { signal: abort.signal, timeoutMs: 0 })) {
      if (res.kind.case === "events")
        for (const e of res.kind.value.events) events.push({ event: e.event, key: e.key });
    }
  })().catch(() => {});
  return { events, stop: () => abort.abort() };
}

describe("two servers on one etcd cluster", () => {
  let cluster: EtcdCluster;
  let a: FleetServer;
  let b: FleetServer;
  beforeAll(async () => {
    cluster = await startEtcdCluster();
    const prefix = `fleet/${process.pid}/`;
    a = await startFleetServer(cluster, prefix, ["--etcd-sweeper-ttl", "2"]);
    b = await startFleetServer(cluster, prefix, ["--etcd-sweeper-ttl", "2"]);
  }, 90_000);
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await cluster?.stop();
  }, 30_000);

  it("a write through A is read through B, and back", async () => {
    expect(await a.exec("SET", "ryw", "from-a")).toBe("OK");
    expect(await b.exec("GET", "ryw")).toBe("from-a");
    expect(await b.exec("HSET", "ryw:h", "f", "v")).toBe(1);
    expect(await a.exec("HGETALL", "ryw:h")).toEqual(["f", "v"]);
    expect(await a.health()).toBe(1);
  });

  it("an Exec whose precondition another server broke does not commit", async () => {
    await a.exec("SET", "pre", "1");
    await b.exec("SET", "pre", "2");
    const res = await a.client.transaction.exec({
      preconditions: [{ key: "pre", check: { case: "valueEquals", value: utf8("1") } }],
      commands: [command("set", { key: "pre", value: utf8("from-a") })],
    });
    expect(res.committed).toBe(false);
    expect(await b.exec("GET", "pre")).toBe("2");
  });

  it("2 x 100 concurrent INCRs through both servers give the exact count", async () => {
    const per = 100;
    const run = (s: FleetServer) => Promise.all(Array.from({ length: per }, () => s.exec("INCR", "fleet:hot")));
    const [ra, rb] = await Promise.all([run(a), run(b)]);
    // Every reply is distinct: no two INCRs saw the same value.
    expect(new Set([...ra, ...rb]).size).toBe(2 * per);
    expect(await a.exec("GET", "fleet:hot")).toBe(String(2 * per));
  }, 90_000);

  it("the Watch streams of both servers see both servers' writes, in one order", async () => {
    const wa = watchAll(a);
    const wb = watchAll(b);
    try {
      const ev = (w: { events: SeenEvent[] }) =>
        w.events.filter((e) => e.key.startsWith("ev:")).map((e) => `${e.event} ${e.key}`);
      // Live once a probe write shows on both streams.
      // (The probe key is outside ev:*, so a late probe event cannot mix into the checked sequence.)
      const probed = (w: { events: SeenEvent[] }) => w.events.some((e) => e.key === "probe:ev");
      await until(
        async () => {
          await a.exec("SET", "probe:ev", "1");
          return probed(wa) && probed(wb);
        },
        20_000,
        "both Watch streams live",
      );
      wa.events.length = 0;
      wb.events.length = 0;
      await a.exec("SET", "ev:1", "x");
      await b.exec("SET", "ev:2", "y");
      await a.exec("HSET", "ev:3", "f", "v");
      await b.exec("DEL", "ev:1");
      await b.exec("INCR", "ev:4");
      const expected = ["set ev:1", "set ev:2", "hset ev:3", "del ev:1", "incrby ev:4"];
      await until(() => ev(wa).length >= 5 && ev(wb).length >= 5, 20_000, "five events on both streams");
      expect(ev(wa)).toEqual(expected);
      expect(ev(wb)).toEqual(expected);
    } finally {
      wa.stop();
      wb.stop();
    }
  }, 60_000);

  it("a transaction through A is never seen half-applied by B", async () => {
    let done = false;
    let reads = 0;
    const torn: unknown[] = [];
    const reader = (async () => {
      while (!done) {
        const [x, y] = (await b.exec("MGET", "tx:x", "tx:y")) as [string | null, string | null];
        reads++;
        if (x !== y) torn.push([x, y]);
      }
    })();
    for (let i = 0; i < 30; i++) {
      const res = await a.client.transaction.exec({
        commands: [
          command("set", { key: "tx:x", value: utf8(String(i)) }),
          command("set", { key: "tx:y", value: utf8(String(i)) }),
        ],
      });
      expect(res.committed).toBe(true);
    }
    done = true;
    await reader;
    expect(reads).toBeGreaterThan(5);
    expect(torn).toEqual([]);
  }, 60_000);

  it("a Batch RPC keeps same-key order while its commands run concurrently", async () => {
    await b.exec("MSET", ...Array.from({ length: 50 }, (_, i) => [`fb${i}`, `v${i}`]).flat());
    const res = await a.client.transaction.batch({
      commands: [
        command("set", { key: "fb:x", value: utf8("1") }),
        command("incrBy", { key: "fb:x", delta: 5n }),
        command("get", { key: "fb:x" }),
        ...Array.from({ length: 50 }, (_, i) => command("get", { key: `fb${i}` })),
      ],
    });
    const value = (r: (typeof res.results)[number]) =>
      r.kind.case === "get" && r.kind.value.value ? Buffer.from(r.kind.value.value).toString() : r.kind.case;
    expect(res.results[1]?.kind.case === "incrBy" && res.results[1].kind.value.value).toBe(6n);
    expect(value(res.results[2] as (typeof res.results)[number])).toBe("6");
    expect(res.results.slice(3).map(value)).toEqual(Array.from({ length: 50 }, (_, i) => `v${i}`));
  });

  it("a SCAN started on A is finished on B, every key once", async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `fscan:${i}`);
    await a.exec("MSET", ...keys.flatMap((k) => [k, "v"]));
    const seen: string[] = [];
    let cursor = "0";
    let i = 0;
    do {
      const [next, found] = (await (i++ % 2 === 0 ? a : b).exec("SCAN", cursor, "MATCH", "fscan:*", "COUNT", "5")) as [
        string,
        string[],
      ];
      seen.push(...found);
      cursor = next;
    } while (cursor !== "0");
    expect(seen.sort()).toEqual([...keys].sort());
  });

  it("an HSCAN (and SSCAN, ZSCAN) started on A is finished on B, every element once", async () => {
    const fields = Array.from({ length: 60 }, (_, i) => `f${i}`);
    await a.exec("HSET", "fhscan", ...fields.flatMap((f) => [f, "v"]));
    await a.exec("SADD", "fsscan", ...fields);
    await a.exec("ZADD", "fzscan", ...fields.flatMap((f, i) => [String(i), f]));
    for (const [command, key, step] of [
      ["HSCAN", "fhscan", 2],
      ["SSCAN", "fsscan", 1],
      ["ZSCAN", "fzscan", 2],
    ] as const) {
      const seen: string[] = [];
      let cursor = "0";
      let i = 0;
      do {
        const [next, found] = (await (i++ % 2 === 0 ? a : b).exec(command, key, cursor, "COUNT", "7")) as [
          string,
          string[],
        ];
        for (let j = 0; j < found.length; j += step) seen.push(found[j] as string);
        cursor = next;
      } while (cursor !== "0");
      expect(seen.sort(), command).toEqual([...fields].sort());
    }
  });

  it("a TTL key is gone on both servers with exactly one `expired` event on each Watch stream", async () => {
    const wa = watchAll(a);
    const wb = watchAll(b);
    try {
      // The streams are live once a probe key's expiry shows on both (events from the sweeper, via the outbox).
      await a.exec("SET", "fttl", "v", "PX", "300");
      expect(await b.exec("GET", "fttl")).toBe("v");
      const expired = (w: { events: SeenEvent[] }) => w.events.filter((e) => e.event === "expired" && e.key === "fttl");
      await until(
        () => expired(wa).length >= 1 && expired(wb).length >= 1,
        20_000,
        "the expired event on both streams",
      );
      expect(await a.exec("GET", "fttl")).toBeNull();
      expect(await b.exec("EXISTS", "fttl")).toBe(0);
      await new Promise((r) => setTimeout(r, 500));
      expect(expired(wa)).toHaveLength(1);
      expect(expired(wb)).toHaveLength(1);
    } finally {
      wa.stop();
      wb.stop();
    }
  }, 60_000);

  it("Pub/Sub reaches every server's subscribers, each server's messages in their publish order", async () => {
    interface Got {
      readonly channel: string;
      readonly message: Buffer;
      readonly pattern?: string;
    }
    const listen = (server: FleetServer, channels: string[], patterns: string[]) => {
      const got: Got[] = [];
      const abort = new AbortController();
      let subscribed = false;
      (async () => {
        const stream = server.client.pubsub.subscribe({ channels, patterns }, { signal: abort.signal, timeoutMs: 0 });
        for await (const res of stream) {
          if (res.kind.case === "subscribed") subscribed = true;
          if (res.kind.case === "message") {
            const m = res.kind.value;
            got.push({ channel: m.channel, message: Buffer.from(m.message), pattern: m.pattern });
          }
        }
      })().catch(() => {});
      return { got, ready: () => until(() => subscribed, 10_000, "subscribed"), stop: () => abort.abort() };
    };
    const onA = listen(a, ["fleet-news"], []);
    const onB = listen(b, ["fleet-news"], ["fleet-*"]);
    try {
      await Promise.all([onA.ready(), onB.ready()]);
      const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const publish = (s: FleetServer, i: number) =>
        s.client.pubsub.publish({ channel: "fleet-news", message: Buffer.concat([Buffer.from(`${i}:`), binary]) });
      // PUBLISH counts this server's receivers only (as a Redis Cluster node does): A has one, B two.
      const fromA = await Promise.all(Array.from({ length: 50 }, (_, i) => publish(a, i)));
      const fromB = await Promise.all(Array.from({ length: 50 }, (_, i) => publish(b, 100 + i)));
      expect(fromA.map((r) => Number(r.receivers))).toEqual(Array(50).fill(1));
      expect(fromB.map((r) => Number(r.receivers))).toEqual(Array(50).fill(2));
      // Each subscription gets all 100 messages; each server's 50 in the order they were published.
      await until(() => onA.got.length === 100 && onB.got.length === 200, 20_000, "every message on both servers");
      const order = (got: Got[], pattern: string | undefined) =>
        got.filter((g) => g.pattern === pattern).map((g) => Number(g.message.toString("latin1").split(":")[0]));
      for (const [got, pattern] of [
        [onA.got, undefined],
        [onB.got, undefined],
        [onB.got, "fleet-*"],
      ] as const) {
        const seen = order(got, pattern);
        expect(seen.filter((n) => n < 100)).toEqual(Array.from({ length: 50 }, (_, i) => i));
        expect(seen.filter((n) => n >= 100)).toEqual(Array.from({ length: 50 }, (_, i) => 100 + i));
      }
      for (const g of [...onA.got, ...onB.got]) expect(g.message.subarray(-256).equals(binary)).toBe(true);
      // Too large to travel through etcd: refused whole, delivered nowhere.
      await expect(
        a.client.pubsub.publish({ channel: "fleet-news", message: Buffer.alloc((1 << 20) + 1) }),
      ).rejects.toThrow(/too large for Pub\/Sub across an etcd fleet/);
      await new Promise((r) => setTimeout(r, 300));
      expect(onA.got).toHaveLength(100);
    } finally {
      onA.stop();
      onB.stop();
    }
  }, 60_000);
});
