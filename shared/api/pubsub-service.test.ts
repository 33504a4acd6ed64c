import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { PubSubService, type SubscribeResponse } from "../gen/memorabilia/v1/pubsub_service_pb.js";
import { createManualClock } from "../store/clock.js";
import { PubSubHub } from "../store/pubsub.js";
import { createPubSubService } from "./pubsub-service.js";
import { StreamCounter, type StreamingOptions } from "./streaming-options.js";

const T0 = 1_700_000_000_000;
const text = new TextEncoder();
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

function setup(options: StreamingOptions = {}, streams = new StreamCounter()) {
  const clock = createManualClock(T0);
  const hub = new PubSubHub();
  const transport = createRouterTransport((router) =>
    router.service(
      PubSubService,
      createPubSubService(hub, clock, { logger: { error: () => {} }, ...options }, streams),
    ),
  );
  return { clock, hub, streams, client: createClient(PubSubService, transport) };
}

/** Reads until the stream fails; returns the error. */
async function failure(it: Reader, max = 50): Promise<ConnectError> {
  try {
    for (let i = 0; i < max; i++) await next(it);
  } catch (e) {
    return e as ConnectError;
  }
  throw new Error(`the stream did not fail within ${max} messages`);
}

type Reader = AsyncIterator<SubscribeResponse>;

async function next(it: Reader): Promise<SubscribeResponse> {
  const r = await Promise.race([
    it.next(),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no message within 2 s")), 2_000)),
  ]);
  if (r.done) throw new Error("stream ended");
  return r.value;
}

/** Opens a subscription and waits for its confirmation. */
async function subscribe(
  client: ReturnType<typeof setup>["client"],
  req: { channels?: string[]; patterns?: string[]; heartbeatMs?: number },
  signal?: AbortSignal,
): Promise<Reader> {
  const it = client.subscribe(req, { signal })[Symbol.asyncIterator]();
  const first = await next(it);
  expect(first.kind.case).toBe("subscribed");
  return it;
}

/** `channel|pattern|message` of the next `n` messages. */
async function messages(it: Reader, n: number): Promise<string[]> {
  const out: string[] = [];
  while (out.length < n) {
    const m = await next(it);
    if (m.kind.case === "message") {
      const v = m.kind.value;
      out.push(`${v.channel}|${v.pattern ?? ""}|${decode(v.message)}`);
    }
  }
  return out;
}

describe("PubSubService", () => {
  it("fans a message out to every subscriber and counts receivers", async () => {
    const { client } = setup();
    const a = await subscribe(client, { channels: ["news"] });
    const b = await subscribe(client, { channels: ["news", "sport"] });
    const c = await subscribe(client, { patterns: ["n*"] });
    expect((await client.publish({ channel: "news", message: text.encode("hi") })).receivers).toBe(3n);
    expect((await client.publish({ channel: "sport", message: text.encode("goal") })).receivers).toBe(1n);
    expect((await client.publish({ channel: "other", message: text.encode("x") })).receivers).toBe(0n);
    expect(await messages(a, 1)).toEqual(["news||hi"]);
    expect(await messages(b, 2)).toEqual(["news||hi", "sport||goal"]);
    expect(await messages(c, 1)).toEqual(["news|n*|hi"]);
  });

  it("confirms the subscription with its channel and pattern counts", async () => {
    const { client } = setup();
    const it = client.subscribe({ channels: ["a", "b", "a"], patterns: ["x*"] })[Symbol.asyncIterator]();
    expect((await next(it)).kind).toEqual({
      case: "subscribed",
      value: expect.objectContaining({ channels: 2n, patterns: 1n }),
    });
  });

  it("a subscriber by channel and by pattern receives twice (message and pmessage), as Redis", async () => {
    const { client } = setup();
    const it = await subscribe(client, { channels: ["news.tech"], patterns: ["news.*"] });
    expect((await client.publish({ channel: "news.tech", message: text.encode("m") })).receivers).toBe(2n);
    expect(await messages(it, 2)).toEqual(["news.tech||m", "news.tech|news.*|m"]);
  });

  it("keeps messages byte for byte", async () => {
    const { client } = setup();
    const it = await subscribe(client, { channels: ["bin"] });
    const payload = new Uint8Array([0, 255, 128, 10]);
    await client.publish({ channel: "bin", message: payload });
    const m = await next(it);
    expect(m.kind.case === "message" && m.kind.value.message).toEqual(payload);
  });

  it("lists active channels, NUMSUB and NUMPAT", async () => {
    const { client } = setup();
    await subscribe(client, { channels: ["b", "a"], patterns: ["p*"] });
    await subscribe(client, { channels: ["a"], patterns: ["p*", "q*"] });
    const all = await client.channels({});
    expect(all.channels.map((c) => [c.channel, c.subscribers])).toEqual([
      ["a", 2n],
      ["b", 1n],
    ]);
    expect(all.patterns).toBe(2n);
    expect((await client.channels({ pattern: "b*" })).channels.map((c) => c.channel)).toEqual(["b"]);
  });

  it("requires a channel or a pattern", async () => {
    const { client } = setup();
    const it = client.subscribe({})[Symbol.asyncIterator]();
    await expect(next(it)).rejects.toMatchObject({ code: Code.InvalidArgument });
  });

  it("sends heartbeats on an idle subscription", async () => {
    const { client, clock } = setup({ heartbeatMinMs: 5 });
    const it = await subscribe(client, { channels: ["quiet"], heartbeatMs: 5 });
    clock.advance(9);
    expect((await next(it)).kind).toEqual({
      case: "heartbeat",
      value: expect.objectContaining({ atMs: BigInt(T0 + 9) }),
    });
  });

  it("aborting the call unsubscribes from the hub", async () => {
    const { client, hub } = setup();
    const ac = new AbortController();
    const it = await subscribe(client, { channels: ["c"], patterns: ["c*"] }, ac.signal);
    expect(hub.numsub("c")).toBe(1);
    ac.abort();
    for (let i = 0; i < 100 && hub.numpat() > 0; i++) await new Promise((r) => setTimeout(r, 1));
    expect(hub.numsub("c")).toBe(0);
    expect(hub.numpat()).toBe(0);
    await expect(it.next()).rejects.toBeInstanceOf(ConnectError);
  });

  it("a slow subscriber is cut with RESOURCE_EXHAUSTED and leaves the hub", async () => {
    const { client, hub } = setup({ maxQueuedEvents: 5 });
    const it = await subscribe(client, { channels: ["flood"] });
    for (let i = 0; i < 20; i++) hub.publish("flood", String(i));
    expect(hub.numsub("flood")).toBe(0);
    let error: unknown;
    try {
      for (let i = 0; i < 30; i++) await next(it);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: Code.ResourceExhausted });
    expect((error as ConnectError).rawMessage).toMatch(/^subscriber fell behind/);
  });

  it("a subscriber that never reads is cut by BYTES queued (hard limit), not only by message count", async () => {
    // Three 512 KiB messages are far below the 10,000-message bound: only a byte bound stops them.
    const { client, hub, streams } = setup({ outputBufferHardBytes: 1024 * 1024 });
    const it = await subscribe(client, { channels: ["big"] });
    const payload = "x".repeat(512 * 1024);
    expect(hub.publish("big", payload)).toBe(1);
    expect(hub.publish("big", payload)).toBe(1);
    hub.publish("big", payload); // the one past 1 MiB: the stream is closed, it leaves the hub
    expect(hub.numsub("big")).toBe(0);
    const error = await failure(it);
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(error.rawMessage).toBe(
      "subscriber fell behind: more than 1 MiB were waiting for the client (output buffer hard limit); the stream is closed",
    );
    expect(streams.overflowed).toEqual({ items: 0, hard: 1, soft: 0, total: 0 });
  });

  it("above the soft limit for soft-ms in a row the stream is closed; below it again the timer starts over", async () => {
    let now = 0;
    const { client, hub, streams } = setup({
      outputBufferHardBytes: 1024 * 1024,
      outputBufferSoftBytes: 1_000,
      outputBufferSoftMs: 1_000,
      monotonicNow: () => now,
    });
    const reader = await subscribe(client, { channels: ["c"] });
    const kb = "y".repeat(600);
    hub.publish("c", kb);
    hub.publish("c", kb); // above 1,000 bytes at t=0
    now = 999;
    hub.publish("c", kb); // still within the soft window
    expect(hub.numsub("c")).toBe(1);
    // The client reads everything: below the soft limit, the timer starts over.
    expect(await messages(reader, 3)).toHaveLength(3);
    now = 5_000;
    hub.publish("c", kb);
    hub.publish("c", kb); // above again at t=5000
    now = 5_999;
    hub.publish("c", "z");
    expect(hub.numsub("c")).toBe(1);
    now = 6_000;
    hub.publish("c", "z");
    expect(hub.numsub("c")).toBe(0);
    const error = await failure(reader);
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(error.rawMessage).toMatch(
      /more than 1000 bytes were waiting for the client for 1000 ms \(output buffer soft limit\)/,
    );
    expect(streams.overflowed.soft).toBe(1);
  });

  it("refuses a stream past the server-wide stream limit with RESOURCE_EXHAUSTED, and accepts again once one closes", async () => {
    const streams = new StreamCounter();
    streams.limit = 2;
    const { client, hub } = setup({}, streams);
    const ac = new AbortController();
    const first = await subscribe(client, { channels: ["a"] }, ac.signal);
    await subscribe(client, { channels: ["b"] });
    const third = client.subscribe({ channels: ["c"] })[Symbol.asyncIterator]();
    const error = await failure(third);
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(error.rawMessage).toMatch(/^too many streams open on this server \(2\)/);
    expect(streams.refused).toBe(1);
    expect(hub.numsub("c")).toBe(0);
    ac.abort();
    // The in-memory transport resumes the server's stream only when its client reads.
    await expect(first.next()).rejects.toMatchObject({ code: Code.Canceled });
    for (let i = 0; i < 200 && streams.open > 1; i++) await new Promise((r) => setTimeout(r, 5));
    expect(streams.open).toBe(1);
    await subscribe(client, { channels: ["d"] });
  });
});
