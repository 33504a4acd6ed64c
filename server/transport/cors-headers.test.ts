/**
 * The lanes' CORS headers against @fastify/cors itself: with `--cors-origin` set, every case is
 * played against a server with `--transport fast` and one with `--transport connect` (where the
 * plugin adds the headers), unary and streaming, in gRPC, gRPC-Web and Connect, over HTTP/1.1 and
 * HTTP/2, from an allowed origin, another origin and none; the client must see the same headers.
 * Fails loudly when @fastify/cors leaves the version whose logic cors-headers.ts reproduces.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { create, type DescMessage, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SubscribeRequestSchema } from "../../shared/gen/memorabilia/v1/pubsub_service_pb.js";
import { GetRequestSchema } from "../../shared/gen/memorabilia/v1/strings_service_pb.js";
import { call } from "../../test/support/protocol-call.js";
import { type MemorabiliaServer, startServer } from "../app.js";
import { loadConfig } from "../config.js";

type Protocol = "grpc" | "grpc-web" | "connect";

const frame = (bytes: Uint8Array): Buffer => {
  const b = Buffer.alloc(5 + bytes.length);
  b.writeUInt32BE(bytes.length, 1);
  b.set(bytes, 5);
  return b;
};
const bin = <D extends DescMessage>(schema: D, init: MessageInitShape<D>) =>
  Buffer.from(toBinary(schema, create(schema, init)));

const UNARY: Record<Protocol, Record<string, string>> = {
  grpc: { "content-type": "application/grpc", te: "trailers" },
  "grpc-web": { "content-type": "application/grpc-web+proto" },
  connect: { "content-type": "application/proto" },
};
const STREAM: Record<Protocol, Record<string, string>> = {
  ...UNARY,
  connect: { "content-type": "application/connect+proto" },
};
const ALLOWED = "http://allowed.example";

it("@fastify/cors is the version cors-headers.ts reproduces (11.4.3): else re-read its addCorsHeaders", () => {
  const require = createRequire(import.meta.url);
  const pkg = JSON.parse(readFileSync(require.resolve("@fastify/cors/package.json"), "utf8")) as { version: string };
  expect(pkg.version).toBe("11.4.3");
});

describe.each([[ALLOWED], ["*"]])("CORS headers with --cors-origin=%s: lanes vs @fastify/cors", (origin) => {
  const s: { fast?: MemorabiliaServer; normal?: MemorabiliaServer } = {};
  beforeAll(async () => {
    const loaded = loadConfig(
      ["--host=127.0.0.1", "--port=0", "--log-level=silent", `--cors-origin=${origin}`, "--max-timeout-ms=5000"],
      {},
    );
    if (loaded.help) throw new Error("help");
    s.fast = await startServer({ ...loaded.config, transport: "fast" });
    s.normal = await startServer({ ...loaded.config, transport: "connect" });
  });
  afterAll(async () => {
    await s.fast?.close();
    await s.normal?.close();
  });

  const combos: [Protocol, "h1" | "h2", "unary" | "stream", string | undefined][] = [];
  for (const p of ["grpc", "grpc-web", "connect"] as const)
    for (const t of ["h1", "h2"] as const)
      for (const kind of ["unary", "stream"] as const)
        for (const o of [ALLOWED, "http://other.example", undefined])
          if (!(p === "grpc" && (t === "h1" || o !== undefined))) combos.push([p, t, kind, o]);

  it.each(combos)("%s over %s, %s, Origin %s: same answer", async (protocol, transport, kind, from) => {
    const fast = s.fast as MemorabiliaServer;
    const normal = s.normal as MemorabiliaServer;
    const unary = kind === "unary";
    const message = unary
      ? bin(GetRequestSchema, { key: "cors:a" })
      : bin(SubscribeRequestSchema, { channels: ["cors:c"] });
    const body = unary && protocol === "connect" ? message : frame(message);
    const path = unary ? "/memorabilia.v1.StringsService/Get" : "/memorabilia.v1.PubSubService/Subscribe";
    const headers: Record<string, string> = {
      ...(unary ? UNARY : STREAM)[protocol],
      ...(from === undefined ? {} : { origin: from }),
      ...(unary ? {} : protocol === "connect" ? { "connect-timeout-ms": "150" } : { "grpc-timeout": "150m" }),
    };
    const lanes = () => fast.fastLaneCalls() + fast.streamLaneCalls();
    const before = lanes();
    const [a, b] = await Promise.all([
      call(transport, fast.url, path, body, headers),
      call(transport, normal.url, path, body, headers),
    ]);
    expect(lanes() - before).toBe(1);
    expect(a).toEqual(b);
    expect(b.headers.vary).toBe("Origin");
  });
});
