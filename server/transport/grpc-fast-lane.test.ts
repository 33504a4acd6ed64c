import type * as http2 from "node:http2";
import { create, type DescMessage, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HealthCheckRequestSchema } from "../../shared/gen/grpc/health/v1/health_pb.js";
import {
  GetRequestSchema,
  IncrByRequestSchema,
  SetRequestSchema,
} from "../../shared/gen/memorabilia/v1/strings_service_pb.js";
import { grpcFrame, grpcRequest } from "../../test/support/h2-client.js";
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

interface Answer {
  headers: Record<string, unknown>;
  trailers: Record<string, unknown>;
  body: string;
}

const frame = grpcFrame;

const msg = <D extends DescMessage>(schema: D, init: MessageInitShape<D>) =>
  frame(toBinary(schema, create(schema, init)));

/** A gRPC call through the shared test client, as this file compares answers (body as hex). */
async function call(
  url: string,
  path: string,
  body: Buffer,
  headers: Record<string, string> = {},
  connect: http2.SecureClientSessionOptions = {},
): Promise<Answer> {
  const a = await grpcRequest(url, path, body, headers, { connect });
  return { headers: { ...a.headers }, trailers: { ...a.trailers }, body: a.body.toString("hex") };
}

const RW = { authorization: "Bearer rw-secret-0123456789" };
const RO = { authorization: "Bearer ro-secret-0123456789" };
const S = "/memorabilia.v1.StringsService";

const cases: [string, string, () => Buffer, Record<string, string>][] = [
  ["Set (ok)", `${S}/Set`, () => msg(SetRequestSchema, { key: "fl:a", value: new Uint8Array([1, 2]) }), RW],
  ["Get (ok)", `${S}/Get`, () => msg(GetRequestSchema, { key: "fl:a" }), RW],
  ["Get of a missing key", `${S}/Get`, () => msg(GetRequestSchema, { key: "fl:none" }), RW],
  [
    "IncrBy on a non-integer (error code header)",
    `${S}/IncrBy`,
    () => msg(IncrByRequestSchema, { key: "fl:a", delta: 1n }),
    RW,
  ],
  ["no token", `${S}/Get`, () => msg(GetRequestSchema, { key: "fl:a" }), {}],
  ["wrong token", `${S}/Get`, () => msg(GetRequestSchema, { key: "fl:a" }), { authorization: "Bearer nope" }],
  ["read-only token writing", `${S}/Set`, () => msg(SetRequestSchema, { key: "fl:b", value: new Uint8Array(1) }), RO],
  ["Health.Check (public)", "/grpc.health.v1.Health/Check", () => msg(HealthCheckRequestSchema, { service: "" }), {}],
  ["over readMaxBytes", `${S}/Set`, () => msg(SetRequestSchema, { key: "fl:c", value: new Uint8Array(4096) }), RW],
  [
    "a deadline past the cap",
    `${S}/Get`,
    () => msg(GetRequestSchema, { key: "fl:a" }),
    { ...RW, "grpc-timeout": "60S" },
  ],
  ["a bad grpc-timeout", `${S}/Get`, () => msg(GetRequestSchema, { key: "fl:a" }), { ...RW, "grpc-timeout": "12X" }],
  [
    "a deadline within the cap",
    `${S}/Get`,
    () => msg(GetRequestSchema, { key: "fl:a" }),
    { ...RW, "grpc-timeout": "2S" },
  ],
  ["an undecodable body", `${S}/Get`, () => frame(new Uint8Array([0xff, 0xff, 0xff])), RW],
  ["an empty body", `${S}/Get`, () => Buffer.alloc(0), RW],
  [
    "two messages",
    `${S}/Get`,
    () => Buffer.concat([msg(GetRequestSchema, { key: "x" }), msg(GetRequestSchema, { key: "y" })]),
    RW,
  ],
  ["a truncated envelope", `${S}/Get`, () => msg(GetRequestSchema, { key: "fl:a" }).subarray(0, 6), RW],
  ["a compressed flag without grpc-encoding", `${S}/Get`, () => frame(new Uint8Array([10, 1, 97]), 1), RW],
  [
    "accepts gzip replies (small: not compressed)",
    `${S}/Get`,
    () => msg(GetRequestSchema, { key: "fl:a" }),
    { ...RW, "grpc-accept-encoding": "gzip" },
  ],
  ["an unknown method", `${S}/NoSuch`, () => msg(GetRequestSchema, { key: "fl:a" }), RW],
];

/** Cases the request gate answers from the headers, before the lanes (server/request-gate.ts). */
const GATED = new Set(["no token", "wrong token", "a deadline past the cap", "a bad grpc-timeout"]);

describe("gRPC fast lane vs the Fastify + connect path", () => {
  let fast: MemorabiliaServer;
  let normal: MemorabiliaServer;
  beforeAll(async () => {
    const loaded = loadConfig(ARGS, {});
    if (loaded.help) throw new Error("help");
    fast = await startServer({ ...loaded.config, transport: "fast" });
    normal = await startServer({ ...loaded.config, transport: "connect" });
    for (const s of [fast, normal])
      await call(s.url, `${S}/Set`, msg(SetRequestSchema, { key: "fl:a", value: new TextEncoder().encode("abc") }), RW);
  });
  afterAll(async () => {
    await fast?.close();
    await normal?.close();
  });

  it.each(cases)("%s: same headers, message and trailers", async (_name, path, body, headers) => {
    const before = fast.fastLaneCalls();
    const a = await call(fast.url, path, body(), headers);
    const b = await call(normal.url, path, body(), headers);
    // The lane served the call (an unknown method goes the normal way, to connect's 404; a call
    // refused from its headers is answered by the request gate before any lane).
    expect(fast.fastLaneCalls() - before).toBe(path === `${S}/NoSuch` || GATED.has(_name) ? 0 : 1);
    expect(normal.fastLaneCalls()).toBe(0);
    delete a.headers.date;
    delete b.headers.date;
    expect(a).toEqual(b);
  });

  it("records the calls in the metrics on both paths", async () => {
    const text = await fast.metrics.registry.getSingleMetricAsString("memorabilia_rpc_requests_total");
    expect(text).toMatch(/procedure="memorabilia\.v1\.StringsService\/Get",code="ok"\}/);
    expect(text).toMatch(/procedure="memorabilia\.v1\.StringsService\/IncrBy",code="InvalidArgument"\}/);
    const other = await normal.metrics.registry.getSingleMetricAsString("memorabilia_rpc_requests_total");
    expect(text).toBe(other);
  });

  it("cancels a call whose deadline passes and answers DEADLINE_EXCEEDED like connect", async () => {
    const a = await call(fast.url, `${S}/Get`, msg(GetRequestSchema, { key: "fl:a" }), { ...RW, "grpc-timeout": "0m" });
    const b = await call(normal.url, `${S}/Get`, msg(GetRequestSchema, { key: "fl:a" }), {
      ...RW,
      "grpc-timeout": "0m",
    });
    delete a.headers.date;
    delete b.headers.date;
    expect(a).toEqual(b);
  });
});

describe("gRPC fast lane on the TLS port (Fastify's own HTTP/2 server)", () => {
  let fast: MemorabiliaServer;
  let normal: MemorabiliaServer;
  let ca: Buffer;
  beforeAll(async () => {
    const { key, cert, ca: trusted } = selfSignedCert("memorabilia-lane-tls-");
    ca = trusted;
    const loaded = loadConfig([...ARGS, `--tls-cert=${cert}`, `--tls-key=${key}`], {});
    if (loaded.help) throw new Error("help");
    fast = await startServer({ ...loaded.config, transport: "fast" });
    normal = await startServer({ ...loaded.config, transport: "connect" });
    for (const s of [fast, normal])
      await call(
        s.url,
        `${S}/Set`,
        msg(SetRequestSchema, { key: "fl:a", value: new TextEncoder().encode("abc") }),
        RW,
        { ca },
      );
  });
  afterAll(async () => {
    await fast?.close();
    await normal?.close();
  });

  it.each(cases)("%s: same headers, message and trailers over TLS", async (_name, path, body, headers) => {
    expect(fast.url.startsWith("https://")).toBe(true);
    const before = fast.fastLaneCalls();
    const a = await call(fast.url, path, body(), headers, { ca });
    const b = await call(normal.url, path, body(), headers, { ca });
    expect(fast.fastLaneCalls() - before).toBe(path === `${S}/NoSuch` || GATED.has(_name) ? 0 : 1);
    expect(normal.fastLaneCalls()).toBe(0);
    delete a.headers.date;
    delete b.headers.date;
    expect(a).toEqual(b);
  });

  it("still serves Connect over HTTP/1.1 on the same port", async () => {
    const res = await fetchHttp1(fast.url, ca);
    expect(res).toMatch(/^200 /);
  });
});

/** A Connect (JSON over HTTP/1.1) Health.Check on the TLS port: "status body". */
async function fetchHttp1(url: string, ca: Buffer): Promise<string> {
  const https = await import("node:https");
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${url}/grpc.health.v1.Health/Check`,
      { method: "POST", ca, headers: { "content-type": "application/json" } },
      (res) => {
        let body = "";
        res.on("data", (c) => {
          body += c;
        });
        res.on("end", () => resolve(`${res.statusCode} ${body}`));
      },
    );
    req.on("error", reject);
    req.end("{}");
  });
}
