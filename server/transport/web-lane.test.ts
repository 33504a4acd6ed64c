/**
 * The web lane against connect's own path: every case is played against a server with
 * `--transport fast` and one with `--transport connect`, over HTTP/1.1 and HTTP/2 (h2c, and TLS
 * for both HTTP versions), in gRPC-Web and in Connect, and the client must see the same status,
 * headers (but Date) and body bytes. The lane must have taken every case it is meant to take.
 */
import * as http from "node:http";
import * as https from "node:https";
import { create, type DescMessage, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HealthCheckRequestSchema } from "../../shared/gen/grpc/health/v1/health_pb.js";
import {
  GetRequestSchema,
  IncrByRequestSchema,
  SetRequestSchema,
} from "../../shared/gen/memorabilia/v1/strings_service_pb.js";
import { h2Request, withoutDate } from "../../test/support/h2-client.js";
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

type Protocol = "grpc-web" | "connect";
type Transport = "h1" | "h2";

interface Answer {
  status: number;
  headers: Record<string, unknown>;
  body: string;
}

function frame(bytes: Uint8Array, flags = 0): Buffer {
  const b = Buffer.alloc(5 + bytes.length);
  b[0] = flags;
  b.writeUInt32BE(bytes.length, 1);
  b.set(bytes, 5);
  return b;
}

const bin = <D extends DescMessage>(schema: D, init: MessageInitShape<D>) =>
  Buffer.from(toBinary(schema, create(schema, init)));

const CONTENT_TYPE: Record<Protocol, Record<string, string>> = {
  "grpc-web": { "content-type": "application/grpc-web+proto", "x-grpc-web": "1" },
  connect: { "content-type": "application/proto", "connect-protocol-version": "1" },
};

/** One request, on a fresh connection; headers as the client saw them, but Date. */
function call(
  transport: Transport,
  url: string,
  path: string,
  body: Buffer,
  headers: Record<string, string>,
  ca?: Buffer,
): Promise<Answer> {
  const tls = url.startsWith("https:");
  return new Promise((resolve, reject) => {
    if (transport === "h2") {
      h2Request(url, { ":method": "POST", ":path": path, ...headers }, body, { connect: tls ? { ca } : {} }).then(
        (a) =>
          resolve({
            status: Number(a.headers[":status"] ?? 0),
            headers: { ...withoutDate(a.headers) },
            body: a.body.toString("hex"),
          }),
        reject,
      );
      return;
    }
    const req = (tls ? https : http).request(
      `${url}${path}`,
      { method: "POST", agent: false, headers: { ...headers, "content-length": body.length }, ...(tls ? { ca } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const h = { ...res.headers };
          delete h.date;
          resolve({ status: res.statusCode ?? 0, headers: h, body: Buffer.concat(chunks).toString("hex") });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const RW = { authorization: "Bearer rw-secret-0123456789" };
const RO = { authorization: "Bearer ro-secret-0123456789" };
const S = "/memorabilia.v1.StringsService";
const BIG = new Uint8Array(1500).fill(120);

/** [name, path, message bytes (framed for gRPC-Web by the case runner), headers, taken by the lane]. */
type Case = [string, string, (p: Protocol) => Buffer, (p: Protocol) => Record<string, string>, boolean];

const asIs = (b: Buffer) => () => b;
const same = (h: Record<string, string>) => () => h;
const timeout = (grpc: string, connect: string) => (p: Protocol) => ({
  ...RW,
  ...(p === "grpc-web" ? { "grpc-timeout": grpc } : { "connect-timeout-ms": connect }),
});

const cases: Case[] = [
  ["Set (ok)", `${S}/Set`, asIs(bin(SetRequestSchema, { key: "wl:a", value: Buffer.from("abc") })), same(RW), true],
  ["Get (ok)", `${S}/Get`, asIs(bin(GetRequestSchema, { key: "wl:a" })), same(RW), true],
  ["Get of a missing key", `${S}/Get`, asIs(bin(GetRequestSchema, { key: "wl:none" })), same(RW), true],
  [
    "IncrBy on a non-integer (error metadata)",
    `${S}/IncrBy`,
    asIs(bin(IncrByRequestSchema, { key: "wl:a", delta: 1n })),
    same(RW),
    true,
  ],
  ["no token", `${S}/Get`, asIs(bin(GetRequestSchema, { key: "wl:a" })), same({}), false],
  [
    "wrong token",
    `${S}/Get`,
    asIs(bin(GetRequestSchema, { key: "wl:a" })),
    same({ authorization: "Bearer nope" }),
    false,
  ],
  [
    "read-only token writing",
    `${S}/Set`,
    asIs(bin(SetRequestSchema, { key: "wl:b", value: Buffer.from("x") })),
    same(RO),
    true,
  ],
  ["Health.Check (public)", "/grpc.health.v1.Health/Check", asIs(bin(HealthCheckRequestSchema, {})), same({}), true],
  [
    "over readMaxBytes",
    `${S}/Set`,
    asIs(bin(SetRequestSchema, { key: "wl:c", value: new Uint8Array(4096) })),
    same(RW),
    true,
  ],
  ["a deadline past the cap", `${S}/Get`, asIs(bin(GetRequestSchema, { key: "wl:a" })), timeout("60S", "60000"), false],
  ["a bad deadline header", `${S}/Get`, asIs(bin(GetRequestSchema, { key: "wl:a" })), timeout("12X", "abc"), false],
  ["a deadline within the cap", `${S}/Get`, asIs(bin(GetRequestSchema, { key: "wl:a" })), timeout("2S", "2000"), true],
  ["a deadline already passed", `${S}/Get`, asIs(bin(GetRequestSchema, { key: "wl:a" })), timeout("0m", "0"), true],
  ["an undecodable message", `${S}/Get`, asIs(Buffer.from([0xff, 0xff, 0xff])), same(RW), true],
  ["an empty message", `${S}/Get`, asIs(Buffer.alloc(0)), same(RW), true],
  ["a big value, set", `${S}/Set`, asIs(bin(SetRequestSchema, { key: "wl:big", value: BIG })), same(RW), true],
  [
    "a big reply, compression accepted",
    `${S}/Get`,
    asIs(bin(GetRequestSchema, { key: "wl:big" })),
    (p) => ({ ...RW, ...(p === "grpc-web" ? { "grpc-accept-encoding": "gzip" } : { "accept-encoding": "gzip" }) }),
    true,
  ],
  ["a big reply, compression not accepted", `${S}/Get`, asIs(bin(GetRequestSchema, { key: "wl:big" })), same(RW), true],
  [
    "a browser's Origin (no CORS configured)",
    `${S}/Get`,
    asIs(bin(GetRequestSchema, { key: "wl:a" })),
    same({ ...RW, origin: "http://127.0.0.1" }),
    true,
  ],
  ["an unknown method", `${S}/NoSuch`, asIs(bin(GetRequestSchema, { key: "wl:a" })), same(RW), false],
];

/** gRPC-Web only: envelope mistakes. */
const envelopeCases: [string, Buffer][] = [
  ["an empty body", Buffer.alloc(0)],
  [
    "two messages",
    Buffer.concat([frame(bin(GetRequestSchema, { key: "x" })), frame(bin(GetRequestSchema, { key: "y" }))]),
  ],
  ["a truncated envelope", frame(bin(GetRequestSchema, { key: "wl:a" })).subarray(0, 6)],
  ["a compressed flag without grpc-encoding", frame(Buffer.from([10, 1, 97]), 1)],
];

function servers(tls: boolean) {
  const state: { fast?: MemorabiliaServer; normal?: MemorabiliaServer; ca?: Buffer } = {};
  beforeAll(async () => {
    const extra: string[] = [];
    if (tls) {
      const { key, cert, ca } = selfSignedCert("memorabilia-web-lane-");
      state.ca = ca;
      extra.push(`--tls-cert=${cert}`, `--tls-key=${key}`);
    }
    const loaded = loadConfig([...ARGS, ...extra], {});
    if (loaded.help) throw new Error("help");
    state.fast = await startServer({ ...loaded.config, transport: "fast" });
    state.normal = await startServer({ ...loaded.config, transport: "connect" });
  });
  afterAll(async () => {
    await state.fast?.close();
    await state.normal?.close();
  });
  return state;
}

const matrix: [Protocol, Transport, boolean][] = [
  ["grpc-web", "h1", false],
  ["connect", "h1", false],
  ["grpc-web", "h2", false],
  ["connect", "h2", false],
  ["grpc-web", "h2", true],
  ["connect", "h2", true],
  ["grpc-web", "h1", true],
  ["connect", "h1", true],
];

describe.each(matrix)("web lane vs connect: %s over %s (TLS: %s)", (protocol, transport, tls) => {
  const s = servers(tls);
  const play = async (path: string, body: Buffer, headers: Record<string, string>, taken: boolean) => {
    const fast = s.fast as MemorabiliaServer;
    const normal = s.normal as MemorabiliaServer;
    const before = fast.fastLaneCalls();
    const h = { ...CONTENT_TYPE[protocol], ...headers };
    const a = await call(transport, fast.url, path, body, h, s.ca);
    const b = await call(transport, normal.url, path, body, h, s.ca);
    expect(fast.fastLaneCalls() - before).toBe(taken ? 1 : 0);
    expect(normal.fastLaneCalls()).toBe(0);
    expect(a).toEqual(b);
    return a;
  };

  it.each(cases)("%s: same status, headers and body", async (_name, path, message, headers, taken) => {
    const m = message(protocol);
    const a = await play(path, protocol === "grpc-web" ? frame(m) : m, headers(protocol), taken);
    expect(a.status).toBeGreaterThan(0);
  });

  it.runIf(protocol === "grpc-web").each(envelopeCases)("%s: same status, headers and body", async (_n, body) => {
    await play(`${S}/Get`, body, RW, true);
  });
});
