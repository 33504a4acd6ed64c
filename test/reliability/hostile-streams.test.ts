/**
 * Hostile stream clients against the bundled server (`dist/server.mjs`): a subscriber that never
 * reads, a flood of streams past the server-wide cap. Each attack runs while a second client's
 * Health.Check must keep answering promptly.
 */
import { setMaxListeners } from "node:events";
import { readFileSync } from "node:fs";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health } from "../../shared/gen/grpc/health/v1/health_pb.js";
import { PubSubService, SubscribeRequestSchema } from "../../shared/gen/memorabilia/v1/pubsub_service_pb.js";
import { WatchService } from "../../shared/gen/memorabilia/v1/watch_service_pb.js";
import { serverBundle } from "../bench/bundle.js";
import { openH2Session } from "../support/h2-client.js";
import { type ServerProcess, startServerProcess } from "../support/server-process.js";

const MIB = 1024 * 1024;

/** Resident set size of a process, bytes (Linux). */
function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1] ?? 0) * 1024;
}

/** A gRPC frame around a protobuf message. */
function frame(body: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + body.length);
  out.writeUInt32BE(body.length, 1);
  out.set(body, 5);
  return out;
}

/**
 * Health.Check every `everyMs` on its own connection until stopped; resolves with the slowest
 * round trip (ms) and the number of checks. A check that fails counts as Infinity.
 */
function healthProbe(url: string, everyMs = 100) {
  const client = createClient(Health, createGrpcTransport({ baseUrl: url }));
  let stop = false;
  const done = (async () => {
    let worst = 0;
    let checks = 0;
    while (!stop) {
      const t0 = performance.now();
      try {
        await client.check({ service: "" }, { timeoutMs: 30_000 });
        worst = Math.max(worst, performance.now() - t0);
      } catch {
        worst = Number.POSITIVE_INFINITY;
      }
      checks++;
      await new Promise((r) => setTimeout(r, everyMs));
    }
    return { worst, checks };
  })();
  return {
    stop: () => {
      stop = true;
      return done;
    },
  };
}

/**
 * Opens Subscribe on its own HTTP/2 connection and never reads it: HTTP/2 flow control stops the
 * server's writes after the 64 KiB window, as a stalled or malicious client would.
 */
function stalledSubscriber(url: string, channel: string) {
  const session = openH2Session(url);
  const stream = session.request({
    ":method": "POST",
    ":path": "/memorabilia.v1.PubSubService/Subscribe",
    "content-type": "application/grpc",
    te: "trailers",
  });
  stream.on("error", () => {});
  stream.end(frame(toBinary(SubscribeRequestSchema, create(SubscribeRequestSchema, { channels: [channel] }))));
  /** Reads everything now; resolves with the grpc-status and grpc-message of the trailers. */
  const drain = () =>
    new Promise<{ status: string | undefined; message: string | undefined; bytes: number }>((resolve) => {
      let bytes = 0;
      let status: string | undefined;
      let message: string | undefined;
      stream.on("trailers", (t) => {
        status = String(t["grpc-status"]);
        message = decodeURIComponent(String(t["grpc-message"] ?? ""));
      });
      stream.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
      });
      stream.on("close", () => resolve({ status, message, bytes }));
    });
  return { drain, close: () => session.destroy() };
}

/** The value of an exposition line of /metrics (`name{labels}`), or undefined. */
async function metric(url: string, series: string): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  for (const line of text.split("\n")) if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  return undefined;
}

describe("hostile stream clients (bundled server)", () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServerProcess(["--max-streams", "64"], {}, serverBundle());
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("a subscriber that never reads is closed at the 32 MiB output-buffer hard limit, not after 10,000 messages; RSS stays bounded", async () => {
    const pubsub = createClient(PubSubService, createGrpcTransport({ baseUrl: server.url }));
    const stalled = stalledSubscriber(server.url, "big");
    for (let i = 0; i < 200; i++) {
      const { channels } = await pubsub.channels({});
      if (channels.some((c) => c.channel === "big" && c.subscribers === 1n)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const rss0 = rssOf(server.pid);
    const probe = healthProbe(server.url);
    const message = new Uint8Array(MIB).fill(0x61);
    let published = 0;
    let delivered = 0;
    // Far fewer than the 10,000 messages of the count bound: only a byte bound ends the stream.
    for (; published < 300; published++) {
      const { receivers } = await pubsub.publish({ channel: "big", message });
      if (receivers === 0n) break;
      delivered++;
    }
    const rss1 = rssOf(server.pid);
    const { worst, checks } = await probe.stop();
    console.log(
      `stalled subscriber: closed after ${delivered} x 1 MiB; RSS ${Math.round(rss0 / MIB)} -> ${Math.round(rss1 / MIB)} MiB; slowest Health.Check ${worst.toFixed(0)} ms of ${checks}`,
    );
    expect(delivered).toBeGreaterThanOrEqual(32);
    expect(delivered).toBeLessThan(48); // 32 MiB queued + what the HTTP/2 window and socket held
    expect(rss1 - rss0).toBeLessThan(300 * MIB);
    expect(worst).toBeLessThan(5_000);
    expect(await metric(server.url, 'memorabilia_streams_closed_slow_total{limit="hard"}')).toBe(1);
    const end = await stalled.drain();
    expect(end.status).toBe(String(Code.ResourceExhausted));
    expect(end.message).toMatch(/subscriber fell behind: more than 32 MiB were waiting for the client/);
    stalled.close();
  }, 120_000);

  it("streams past --max-streams are refused with RESOURCE_EXHAUSTED while health checks answer", async () => {
    const watch = createClient(WatchService, createGrpcTransport({ baseUrl: server.url }));
    const probe = healthProbe(server.url);
    const ac = new AbortController();
    setMaxListeners(100, ac.signal);
    const open: AsyncIterator<unknown>[] = [];
    // 64 allowed: each confirms with its first heartbeat.
    for (let i = 0; i < 64; i++) {
      const it = watch.watch({ pattern: `w${i}:*` }, { signal: ac.signal })[Symbol.asyncIterator]();
      await it.next();
      open.push(it);
    }
    const refused = watch.watch({ pattern: "x:*" })[Symbol.asyncIterator]();
    const error = await refused.next().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.ResourceExhausted);
    expect((error as ConnectError).rawMessage).toMatch(/too many streams open on this server \(64\)/);
    expect(await metric(server.url, "memorabilia_streams_refused_total")).toBeGreaterThanOrEqual(1);
    ac.abort();
    for (const it of open) await it.next().catch(() => {});
    const { worst } = await probe.stop();
    expect(worst).toBeLessThan(5_000);
  }, 60_000);

  it("many subscribers that never read are bounded all together (--stream-buffer-total-bytes): the largest is closed, a reading subscriber keeps every message", async () => {
    // 16 stalled subscribers, each on its own channel fed distinct 256 KiB messages: per-stream
    // limits alone let them hold 16 x 32 MiB; the total bound is 16 MiB here.
    const small = await startServerProcess(["--stream-buffer-total-bytes", String(16 * MIB)], {}, serverBundle());
    try {
      const pubsub = createClient(PubSubService, createGrpcTransport({ baseUrl: small.url }));
      const n = 16;
      const stalled = Array.from({ length: n }, (_, i) => stalledSubscriber(small.url, `slow${i}`));
      // The healthy subscriber reads everything published to its channel.
      const ac = new AbortController();
      const healthy = pubsub.subscribe({ channels: ["ok"] }, { signal: ac.signal })[Symbol.asyncIterator]();
      await healthy.next();
      for (let tries = 0; tries < 500; tries++) {
        const { channels } = await pubsub.channels({});
        if (channels.filter((c) => c.channel.startsWith("slow") && c.subscribers === 1n).length === n) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const rss0 = rssOf(small.pid);
      const probe = healthProbe(small.url);
      const alive = new Set(Array.from({ length: n }, (_, i) => i));
      let published = 0;
      let okSent = 0;
      let okReceived = 0;
      const reading = (async () => {
        for (;;) {
          const m = await healthy.next().catch(() => ({ done: true as const, value: undefined }));
          if (m.done) return;
          if ((m.value as { kind: { case: string } }).kind.case === "message") okReceived++;
        }
      })();
      // Round-robin until every stalled subscriber is gone (bounded: 100 messages each at most).
      for (let round = 0; round < 100 && alive.size > 0; round++) {
        for (const i of [...alive]) {
          const message = new Uint8Array(256 * 1024).fill((round * n + i) & 0xff);
          const { receivers } = await pubsub.publish({ channel: `slow${i}`, message });
          published++;
          if (receivers === 0n) alive.delete(i);
        }
        await pubsub.publish({ channel: "ok", message: new Uint8Array(1024).fill(round & 0xff) });
        okSent++;
      }
      const rss1 = rssOf(small.pid);
      const { worst, checks } = await probe.stop();
      const closedByTotal = await metric(small.url, 'memorabilia_streams_closed_slow_total{limit="total"}');
      console.log(
        `${n} stalled subscribers, 256 KiB messages, total bound 16 MiB: all closed after ${published} messages (${((published * 256) / 1024).toFixed(0)} MiB; per-stream limits alone: ${n} x 32 MiB); closed by the total: ${closedByTotal}; RSS ${Math.round(rss0 / MIB)} -> ${Math.round(rss1 / MIB)} MiB; slowest Health.Check ${worst.toFixed(0)} ms of ${checks}`,
      );
      expect(alive.size).toBe(0);
      expect(closedByTotal).toBe(n);
      // Well under one stream's 32 MiB hard limit each: the total bound closed them.
      expect(published).toBeLessThan(n * 60);
      expect(rss1 - rss0).toBeLessThan(200 * MIB);
      expect(worst).toBeLessThan(5_000);
      // The reading subscriber was never the largest: it got every message and is still open.
      for (let tries = 0; tries < 500 && okReceived < okSent; tries++) await new Promise((r) => setTimeout(r, 10));
      expect(okReceived).toBe(okSent);
      const end = await stalled[0]?.drain();
      expect(end?.status).toBe(String(Code.ResourceExhausted));
      expect(end?.message).toMatch(
        /subscriber fell behind: the server's streams together held more than 16 MiB for their clients and this one held the most/,
      );
      ac.abort();
      await reading;
      for (const s of stalled) s.close();
    } finally {
      await small.stop();
    }
  }, 180_000);
});
