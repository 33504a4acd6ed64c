import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { PubSubService } from "../gen/memorabilia/v1/pubsub_service_pb.js";
import { ServerService, type SetConfigRequest } from "../gen/memorabilia/v1/server_service_pb.js";
import { WatchService } from "../gen/memorabilia/v1/watch_service_pb.js";
import { createManualClock } from "../store/clock.js";
import { createStore } from "../store/store.js";
import { registerStreamingServices, STREAMING_SERVICES } from "./register-streaming.js";
import type { StreamingOptions } from "./streaming-options.js";

const T0 = 1_700_000_000_000;

function setup(options: StreamingOptions = {}) {
  const clock = createManualClock(T0);
  const store = createStore({ clock });
  const transport = createRouterTransport((router) =>
    registerStreamingServices(router, store, { logger: { error: () => {} }, version: "1.2.3", ...options }),
  );
  return {
    clock,
    store,
    server: createClient(ServerService, transport),
    watch: createClient(WatchService, transport),
    pubsub: createClient(PubSubService, transport),
  };
}

async function failure(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error("expected the call to fail");
}

describe("ServerService.Info", () => {
  it("reports keys, TTLs, expiries, commands, ops/s, uptime and version from the store", async () => {
    const { server, store, clock } = setup({ startedAtMs: T0 - 500 });
    for (let i = 0; i < 10; i++) store.execSync(["SET", `k${i}`, "v"]);
    store.execSync(["SET", "t1", "v", "PX", "100"]);
    store.execSync(["SET", "t2", "v", "PX", "10000"]);
    store.execSync(["GET", "k1"]);
    store.execSync(["GET", "nope"]);
    try {
      store.execSync(["INCR", "k1"]);
    } catch {
      // counted as an error
    }
    clock.advance(2_000);
    store.execSync(["GET", "t1"]); // lazily expired
    const { info } = await server.info({});
    expect(info).toMatchObject({
      version: "1.2.3",
      uptimeMs: 2_500n,
      atMs: BigInt(T0 + 2_000),
      keys: 11n,
      keysWithTtl: 1n,
      expiredKeys: 1n,
      commands: 16n,
      commandErrors: 1n,
      openStreams: 0n,
      eventSubscribers: 0n,
    });
    expect(info?.hits).toBeGreaterThanOrEqual(1n);
    expect(info?.misses).toBeGreaterThanOrEqual(1n);
    expect(info?.opsPerSec).toBe(8); // 16 commands over the 2 s since registration
    expect(info?.connectedClients).toBeUndefined();
    expect(info?.sweep).toMatchObject({ pattern: "* * * * * *", running: false, runs: 0n });
  });

  it("computes ops/s over a sliding window", async () => {
    const { server, store, clock } = setup();
    for (let s = 1; s <= 10; s++) {
      clock.advance(1_000);
      for (let i = 0; i < s * 10; i++) store.execSync(["PING"]);
      await server.info({});
    }
    clock.advance(1_000);
    for (let i = 0; i < 200; i++) store.execSync(["PING"]);
    // The window (5 s) reaches back to the sample at t=6 s: 70+80+90+100+200 commands in 5 s.
    expect((await server.info({})).info?.opsPerSec).toBe(108);
  });

  it("uses the host's memory and client callbacks", async () => {
    const { server } = setup({
      memoryUsage: () => ({ heapUsedBytes: 1_000, heapTotalBytes: 2_000, rssBytes: 3_000 }),
      connectedClients: () => 7,
    });
    const { info } = await server.info({});
    expect(info?.memory).toMatchObject({ heapUsedBytes: 1_000n, heapTotalBytes: 2_000n, rssBytes: 3_000n });
    expect(info?.connectedClients).toBe(7n);
  });

  it("counts open streams, event subscribers and Pub/Sub channels", async () => {
    const { server, watch, pubsub } = setup();
    const ac = new AbortController();
    const w = watch.watch({ snapshot: true }, { signal: ac.signal })[Symbol.asyncIterator]();
    await w.next();
    const p = pubsub
      .subscribe({ channels: ["a", "b"], patterns: ["x*"] }, { signal: ac.signal })
      [Symbol.asyncIterator]();
    await p.next();
    const { info } = await server.info({});
    expect(info).toMatchObject({ openStreams: 2n, eventSubscribers: 1n, pubsubChannels: 2n, pubsubPatterns: 1n });
    ac.abort();
    await expect(w.next()).rejects.toBeInstanceOf(ConnectError);
    await expect(p.next()).rejects.toBeInstanceOf(ConnectError);
    expect((await server.info({})).info).toMatchObject({ openStreams: 0n, eventSubscribers: 0n, pubsubChannels: 0n });
  });

  it("InfoStream sends a snapshot every interval (raised to the server's minimum)", async () => {
    const { server, store } = setup({ infoMinIntervalMs: 20 });
    const ac = new AbortController();
    const it = server.infoStream({ intervalMs: 1 }, { signal: ac.signal })[Symbol.asyncIterator]();
    const first = await it.next();
    store.execSync(["SET", "k", "v"]);
    const started = performance.now();
    const second = await it.next();
    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
    expect(first.value?.info?.keys).toBe(0n);
    expect(second.value?.info?.keys).toBe(1n);
    expect(second.value?.info?.openStreams).toBe(1n);
    ac.abort();
    await expect(it.next()).rejects.toMatchObject({ code: Code.Canceled });
  });
});

describe("ServerService config", () => {
  it("GetConfig returns the sweep pattern and the limits", async () => {
    const { server } = setup();
    const { config } = await server.getConfig({});
    expect(config).toMatchObject({
      sweepPattern: "* * * * * *",
      limits: { maxKeyBytes: 65_536n, maxValueBytes: 536_870_912n, maxArgs: 1_048_576n, maxScanCount: 100_000n },
    });
  });

  it("SetConfig changes the sweep pattern and limits, which commands then obey", async () => {
    const { server, store } = setup();
    const { config } = await server.setConfig({ sweepPattern: "*/5 * * * * *", maxKeyBytes: 4n });
    expect(config?.sweepPattern).toBe("*/5 * * * * *");
    expect(config?.limits?.maxKeyBytes).toBe(4n);
    expect(config?.limits?.maxArgs).toBe(1_048_576n);
    expect(store.stats().sweep.pattern).toBe("*/5 * * * * *");
    expect(() => store.execSync(["SET", "12345", "v"])).toThrow(/key exceeds the maximum size \(4 bytes\)/);
    expect(store.execSync(["SET", "1234", "v"])).toMatchObject({ text: "OK" });
  });

  it.each<[string, Partial<SetConfigRequest>, RegExp]>([
    ["a bad cron pattern", { sweepPattern: "not a cron" }, /^ERR invalid sweep pattern 'not a cron'/],
    ["a date instead of a repeating pattern", { sweepPattern: "2030-01-01T00:00:00" }, /invalid sweep pattern/],
    ["a zero limit", { maxArgs: 0n }, /^max_args must be between 1 and/],
    ["a limit past 2^53", { maxValueBytes: 2n ** 60n }, /^max_value_bytes must be between/],
  ])("SetConfig rejects %s with INVALID_ARGUMENT and changes nothing", async (_, req, message) => {
    const { server, store } = setup();
    const e = await failure(server.setConfig({ maxKeyBytes: 10n, ...req }));
    expect(e.code).toBe(Code.InvalidArgument);
    expect(e.rawMessage).toMatch(message);
    expect(store.limits.maxKeyBytes).toBe(65_536); // the valid field in the same request was not applied
    expect(store.stats().sweep.pattern).toBe("* * * * * *");
  });
});

describe("registerStreamingServices", () => {
  it("lists the five services it registers", () => {
    expect(STREAMING_SERVICES.map((s) => s.typeName)).toEqual([
      "memorabilia.v1.WatchService",
      "memorabilia.v1.PubSubService",
      "memorabilia.v1.TransactionService",
      "memorabilia.v1.ServerService",
      "memorabilia.v1.StreamReaderService",
    ]);
  });
});

describe("ServerService.Info persistence and eviction sections", () => {
  it("reports both sections disabled when the host gives no callbacks", async () => {
    const { server } = setup();
    const { info } = await server.info({});
    expect(info?.persistence).toMatchObject({ enabled: false, fsync: "", fsyncs: 0n, snapshots: 0n });
    expect(info?.persistence?.lastFsyncAtMs).toBeUndefined();
    expect(info?.eviction).toMatchObject({ enabled: false, policy: "", maxmemoryBytes: 0n, evictedKeys: 0n });
  });

  it("reads the host's figures at every call", async () => {
    let fsyncs = 3;
    let evicted = 7;
    const { server } = setup({
      persistence: () => ({
        fsync: "always",
        logBytes: 4096,
        lastFsyncAtMs: T0 + 10,
        fsyncs,
        lastSnapshotAtMs: T0 - 5,
        lastSnapshotMs: 12.5,
        snapshots: 2,
        recordsWritten: 40,
        bytesWritten: 9000,
        loadedKeys: 25,
        loadMs: 3,
        corruptTailBytesDropped: 17,
        lastError: "EIO",
      }),
      eviction: () => ({
        policy: "allkeys-lru",
        maxBytes: 1_000_000,
        usedBytes: 999_000,
        evictedKeys: evicted,
        oomRejections: 1,
      }),
    });
    const first = (await server.info({})).info;
    expect(first?.persistence).toMatchObject({
      enabled: true,
      fsync: "always",
      logBytes: 4096n,
      lastFsyncAtMs: BigInt(T0 + 10),
      fsyncs: 3n,
      lastSnapshotAtMs: BigInt(T0 - 5),
      lastSnapshotDurationMs: 12.5,
      snapshots: 2n,
      recordsWritten: 40n,
      bytesWritten: 9000n,
      loadedKeys: 25n,
      loadDurationMs: 3,
      corruptTailBytesDropped: 17n,
      lastError: "EIO",
    });
    expect(first?.eviction).toMatchObject({
      enabled: true,
      maxmemoryBytes: 1_000_000n,
      policy: "allkeys-lru",
      usedBytes: 999_000n,
      evictedKeys: 7n,
      oomRejections: 1n,
    });
    fsyncs = 4;
    evicted = 9;
    const second = (await server.info({})).info;
    expect(second?.persistence?.fsyncs).toBe(4n);
    expect(second?.eviction?.evictedKeys).toBe(9n);
  });

  it("leaves times unset before the first fsync or snapshot", async () => {
    const { server } = setup({
      persistence: () => ({
        fsync: "everysec",
        logBytes: 8,
        fsyncs: 0,
        snapshots: 0,
        recordsWritten: 0,
        bytesWritten: 0,
        loadedKeys: 0,
        loadMs: 0,
        corruptTailBytesDropped: 0,
      }),
    });
    const { info } = await server.info({});
    expect(info?.persistence?.enabled).toBe(true);
    expect(info?.persistence?.lastFsyncAtMs).toBeUndefined();
    expect(info?.persistence?.lastSnapshotAtMs).toBeUndefined();
    expect(info?.persistence?.lastSnapshotDurationMs).toBeUndefined();
    expect(info?.persistence?.lastError).toBeUndefined();
  });

  it("streams the sections too", async () => {
    const { server } = setup({
      eviction: () => ({ policy: "noeviction", maxBytes: 10, usedBytes: 20, evictedKeys: 0, oomRejections: 5 }),
    });
    for await (const msg of server.infoStream({ intervalMs: 1_000 })) {
      expect(msg.info?.eviction).toMatchObject({ enabled: true, policy: "noeviction", oomRejections: 5n });
      break;
    }
  });
});
