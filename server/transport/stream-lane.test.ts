/**
 * The stream lane against connect's own path, for server-streaming RPCs (Watch, Subscribe,
 * StreamReader.Read, InfoStream): every case is played against a server with `--transport fast`
 * and one with `--transport connect`, in gRPC (HTTP/2), gRPC-Web and Connect (HTTP/1.1 and
 * HTTP/2), cleartext and TLS, and the client must see the same status, headers (but Date),
 * trailers and body bytes. Open-ended streams end on their deadline. The lane must have taken
 * every case it is meant to take. (Pipeline, the bidi stream: stream-lane-pipeline.test.ts.)
 */
import { create, type DescMessage, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SubscribeRequestSchema } from "../../shared/gen/memorabilia/v1/pubsub_service_pb.js";
import { InfoStreamRequestSchema, MonitorRequestSchema } from "../../shared/gen/memorabilia/v1/server_service_pb.js";
import { ReadRequestSchema } from "../../shared/gen/memorabilia/v1/streams_service_pb.js";
import { SetRequestSchema } from "../../shared/gen/memorabilia/v1/strings_service_pb.js";
import { WatchRequestSchema } from "../../shared/gen/memorabilia/v1/watch_service_pb.js";
import { call } from "../../test/support/protocol-call.js";
import { selfSignedCert } from "../../test/support/self-signed-cert.js";
import { type MemorabiliaServer, startServer } from "../app.js";
import { loadConfig } from "../config.js";

const ARGS = [
  "--host=127.0.0.1",
  "--port=0",
  "--log-level=silent",
  // connect's own threshold (the server's default is 64 KiB): the compression cases stay exercised.
  "--compress-min-bytes=1024",
  "--max-request-bytes=2048",
  "--max-timeout-ms=5000",
  "--token=rw:readwrite:rw-secret-0123456789",
  "--token=ro:readonly:ro-secret-0123456789",
];

type Protocol = "grpc" | "grpc-web" | "connect";

function frame(bytes: Uint8Array, flags = 0): Buffer {
  const b = Buffer.alloc(5 + bytes.length);
  b[0] = flags;
  b.writeUInt32BE(bytes.length, 1);
  b.set(bytes, 5);
  return b;
}

const bin = <D extends DescMessage>(schema: D, init: MessageInitShape<D>) =>
  Buffer.from(toBinary(schema, create(schema, init)));

const PROTOCOL_HEADERS: Record<Protocol, Record<string, string>> = {
  grpc: { "content-type": "application/grpc", te: "trailers" },
  "grpc-web": { "content-type": "application/grpc-web+proto", "x-grpc-web": "1" },
  connect: { "content-type": "application/connect+proto", "connect-protocol-version": "1" },
};

const RW = { authorization: "Bearer rw-secret-0123456789" };
const W = "/memorabilia.v1.WatchService/Watch";
const SUB = "/memorabilia.v1.PubSubService/Subscribe";
const READ = "/memorabilia.v1.StreamReaderService/Read";
const INFO = "/memorabilia.v1.ServerService/InfoStream";

const deadline = (p: Protocol, ms: number): Record<string, string> =>
  p === "connect" ? { "connect-timeout-ms": String(ms) } : { "grpc-timeout": `${ms}m` };
const acceptGzip = (p: Protocol): Record<string, string> =>
  p === "connect"
    ? { "connect-accept-encoding": "gzip" }
    : p === "grpc-web"
      ? { "grpc-accept-encoding": "gzip" }
      : { "grpc-accept-encoding": "gzip" };

/** [name, path, body (enveloped), headers, taken by the lane]. */
type Case = [string, string, () => Buffer, (p: Protocol) => Record<string, string>, boolean];

const watchSnapshot = () => frame(bin(WatchRequestSchema, { pattern: "sl:*", snapshot: true }));

const cases: Case[] = [
  ["Watch with a snapshot, to the deadline", W, watchSnapshot, (p) => ({ ...RW, ...deadline(p, 300) }), true],
  [
    "Watch with a snapshot, compression accepted",
    W,
    watchSnapshot,
    (p) => ({ ...RW, ...deadline(p, 300), ...acceptGzip(p) }),
    true,
  ],
  [
    "Subscribe (the first message), to the deadline",
    SUB,
    () => frame(bin(SubscribeRequestSchema, { channels: ["sl:c"], patterns: ["sl:p*"] })),
    (p) => ({ ...RW, ...deadline(p, 300) }),
    true,
  ],
  [
    "Watch with an empty snapshot, to the deadline",
    W,
    () => frame(bin(WatchRequestSchema, { pattern: "sl:none*", snapshot: true })),
    (p) => ({ ...RW, ...deadline(p, 300) }),
    true,
  ],
  ["Read with no stream (an error before any message)", READ, () => frame(bin(ReadRequestSchema, {})), () => RW, true],
  [
    "Watch with a bad event class",
    W,
    () => frame(bin(WatchRequestSchema, { pattern: "x", classes: [99 as never] })),
    () => RW,
    true,
  ],
  [
    "Monitor (a streaming RPC added after the lane, served with no lane change), not an admin",
    "/memorabilia.v1.ServerService/Monitor",
    () => frame(bin(MonitorRequestSchema, {})),
    () => RW,
    true,
  ],
  ["InfoStream without a token", INFO, () => frame(bin(InfoStreamRequestSchema, {})), () => ({}), false],
  ["Watch with a wrong token", W, watchSnapshot, () => ({ authorization: "Bearer nope" }), false],
  ["no message (an empty body)", W, () => Buffer.alloc(0), () => RW, true],
  [
    "two messages",
    W,
    () => Buffer.concat([watchSnapshot(), watchSnapshot()]),
    (p) => ({ ...RW, ...deadline(p, 300) }),
    true,
  ],
  ["an undecodable message", W, () => frame(Buffer.from([0xff, 0xff, 0xff])), () => RW, true],
  ["a truncated envelope", W, () => watchSnapshot().subarray(0, 6), () => RW, true],
  ["a compressed flag without an encoding", W, () => frame(Buffer.from([10, 1, 97]), 1), () => RW, true],
  ["over readMaxBytes", W, () => frame(bin(WatchRequestSchema, { pattern: "x".repeat(4096) })), () => RW, true],
  ["a deadline past the cap", W, watchSnapshot, (p) => ({ ...RW, ...deadline(p, 60_000) }), false],
  [
    "a bad deadline header",
    W,
    watchSnapshot,
    (p) => ({ ...RW, ...(p === "connect" ? { "connect-timeout-ms": "abc" } : { "grpc-timeout": "12X" }) }),
    false,
  ],
  ["a deadline already passed", W, watchSnapshot, (p) => ({ ...RW, ...deadline(p, 0) }), true],
  [
    "a browser's Origin (no CORS configured)",
    SUB,
    () => frame(bin(SubscribeRequestSchema, { channels: ["sl:c"] })),
    (p) => ({ ...RW, ...deadline(p, 200), ...(p === "grpc" ? {} : { origin: "http://127.0.0.1" }) }),
    true,
  ],
  ["an unknown method", "/memorabilia.v1.WatchService/NoSuch", watchSnapshot, () => RW, false],
];

function servers(tls: boolean) {
  const state: { fast?: MemorabiliaServer; normal?: MemorabiliaServer; ca?: Buffer } = {};
  beforeAll(async () => {
    const extra: string[] = [];
    if (tls) {
      const { key, cert, ca } = selfSignedCert("memorabilia-stream-lane-");
      state.ca = ca;
      extra.push(`--tls-cert=${cert}`, `--tls-key=${key}`);
    }
    const loaded = loadConfig([...ARGS, ...extra], {});
    if (loaded.help) throw new Error("help");
    state.fast = await startServer({ ...loaded.config, transport: "fast" });
    state.normal = await startServer({ ...loaded.config, transport: "connect" });
    // The same keys on both: the snapshot lists them (long names: the page passes compressMinBytes).
    for (const s of [state.fast, state.normal])
      for (let i = 0; i < 24; i++) {
        const body = frame(bin(SetRequestSchema, { key: `sl:${"k".repeat(40)}${i}`, value: Buffer.from("v") }));
        const a = await call(
          "h2",
          s.url,
          "/memorabilia.v1.StringsService/Set",
          body,
          { ...PROTOCOL_HEADERS.grpc, ...RW },
          state.ca,
        );
        expect(a.trailers["grpc-status"]).toBe("0");
      }
  });
  afterAll(async () => {
    await state.fast?.close();
    await state.normal?.close();
  });
  return state;
}

const matrix: [Protocol, "h1" | "h2", boolean][] = [
  ["grpc", "h2", false],
  ["grpc-web", "h1", false],
  ["connect", "h1", false],
  ["grpc-web", "h2", false],
  ["connect", "h2", false],
  ["grpc", "h2", true],
  ["grpc-web", "h2", true],
  ["connect", "h1", true],
];

describe.each(matrix)("stream lane vs connect: %s over %s (TLS: %s)", (protocol, transport, tls) => {
  const s = servers(tls);

  it.each(cases)("%s: same status, headers, trailers and body", async (_name, path, body, headers, taken) => {
    const fast = s.fast as MemorabiliaServer;
    const normal = s.normal as MemorabiliaServer;
    const before = fast.streamLaneCalls();
    const h = { ...PROTOCOL_HEADERS[protocol], ...headers(protocol) };
    const [a, b] = await Promise.all([
      call(transport, fast.url, path, body(), h, s.ca),
      call(transport, normal.url, path, body(), h, s.ca),
    ]);
    expect(fast.streamLaneCalls() - before).toBe(taken ? 1 : 0);
    expect(normal.streamLaneCalls()).toBe(0);
    expect(a).toEqual(b);
    expect(a.status).toBeGreaterThan(0);
  });
});
