/**
 * The token of an RPC is checked once (issue 12): the request gate authenticates it from the
 * headers before the body is read, and the auth interceptor takes the gate's caller from the
 * call's context values instead of hashing and comparing the secret against every token again.
 * Counted on the registry's constant-time lookup, over every path a unary or server-streaming
 * call can take (the gRPC fast lane, connect's gRPC, gRPC-Web and Connect on the web lane and on
 * connect, HTTP/1.1 and HTTP/2). Before, each call counted 2.
 */
import * as http from "node:http";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import {
  compressionGzip,
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { TokenRegistry } from "../../server/auth/tokens.js";
import { defaultConfig, type MemorabiliaServer, startServer } from "../../server/index.js";
import { ExecuteRequestSchema } from "../../shared/gen/memorabilia/v1/command_service_pb.js";
import { StringsService } from "../../shared/gen/memorabilia/v1/strings_service_pb.js";
import { WatchService } from "../../shared/gen/memorabilia/v1/watch_service_pb.js";
import { closeH2Session, openH2Session } from "../support/h2-client.js";

const SECRET = "checked-once-secret-0123456789";
const READER = "checked-once-reader-0123456789";
const auth = { authorization: `Bearer ${SECRET}` };

describe("the token is checked once per call", () => {
  let server: MemorabiliaServer;
  const lookup = vi.spyOn(TokenRegistry.prototype, "authenticate");
  beforeAll(async () => {
    server = await startServer(
      defaultConfig({
        port: 0,
        logLevel: "silent",
        consoleDir: "/nonexistent",
        tokens: [`admin:admin:${SECRET}`, `reader:readonly:${READER}`],
      }),
    );
  });
  afterAll(async () => {
    await server?.close();
    lookup.mockRestore();
  });

  /** Token lookups made while `call` runs. */
  async function lookups(call: () => Promise<unknown>): Promise<number> {
    const before = lookup.mock.calls.length;
    await call();
    return lookup.mock.calls.length - before;
  }

  const transports = () => ({
    "gRPC (fast lane)": createGrpcTransport({ baseUrl: server.url }),
    "gRPC gzip (connect)": createGrpcTransport({ baseUrl: server.url, sendCompression: compressionGzip }),
    "gRPC-Web h1 (web lane)": createGrpcWebTransport({ baseUrl: server.url, httpVersion: "1.1" }),
    "gRPC-Web h2 (web lane)": createGrpcWebTransport({ baseUrl: server.url, httpVersion: "2" }),
    "Connect h1 (web lane)": createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }),
    "Connect h2 (web lane)": createConnectTransport({ baseUrl: server.url, httpVersion: "2" }),
    "Connect JSON h1 (connect)": createConnectTransport({
      baseUrl: server.url,
      httpVersion: "1.1",
      useBinaryFormat: false,
    }),
    "Connect JSON h2 (connect)": createConnectTransport({
      baseUrl: server.url,
      httpVersion: "2",
      useBinaryFormat: false,
    }),
  });

  it("unary calls on every path: one lookup each, and the caller's role still applies", async () => {
    for (const [name, transport] of Object.entries(transports())) {
      const client = createClient(StringsService, transport);
      const key = `once:${name}`;
      expect(
        await lookups(() => client.set({ key, value: new TextEncoder().encode("v") }, { headers: auth })),
        name,
      ).toBe(1);
      expect(await lookups(() => client.get({ key }, { headers: auth })), name).toBe(1);
      // The gate's caller is the one the interceptor judges by: a read-only token may not write.
      const denied = await client
        .set({ key, value: new Uint8Array(1) }, { headers: { authorization: `Bearer ${READER}` } })
        .then(
          () => undefined,
          (e: unknown) => ConnectError.from(e),
        );
      expect(denied?.code, name).toBe(Code.PermissionDenied);
      // A wrong token is refused by the gate, before the interceptor runs: one lookup.
      const refused = await lookups(() =>
        client.get({ key }, { headers: { authorization: "Bearer not-a-token-at-all-000" } }).catch(() => undefined),
      );
      expect(refused, name).toBe(1);
    }
  });

  it("a server-streaming call (Watch, connect's stream path): one lookup", async () => {
    for (const [name, transport] of Object.entries(transports())) {
      const client = createClient(WatchService, transport);
      const stop = new AbortController();
      const n = await lookups(async () => {
        const watch = client.watch({ pattern: "once:*", snapshot: true }, { headers: auth, signal: stop.signal });
        for await (const _ of watch) break; // the first message (a snapshot page or its end)
        stop.abort();
      });
      expect(n, name).toBe(1);
    }
  });

  it("raw HTTP/1.1 and HTTP/2 requests: one lookup each", async () => {
    const body = toBinary(
      ExecuteRequestSchema,
      create(ExecuteRequestSchema, { args: [new TextEncoder().encode("PING")] }),
    );
    const { port } = new URL(server.url);
    const h1 = () =>
      new Promise<number>((resolve, reject) => {
        const req = http.request(
          {
            host: "127.0.0.1",
            port,
            method: "POST",
            path: "/memorabilia.v1.CommandService/Execute",
            headers: { "content-type": "application/proto", ...auth },
            agent: false,
          },
          (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
          },
        );
        req.on("error", reject);
        req.end(body);
      });
    expect(await lookups(async () => expect(await h1()).toBe(200))).toBe(1);
    const session = openH2Session(server.url);
    try {
      const h2 = () =>
        new Promise<number>((resolve, reject) => {
          const s = session.request({
            ":method": "POST",
            ":path": "/memorabilia.v1.CommandService/Execute",
            "content-type": "application/proto",
            ...auth,
          });
          let status = 0;
          s.on("response", (h) => {
            status = Number(h[":status"]);
          });
          s.resume();
          s.on("end", () => resolve(status));
          s.on("error", reject);
          s.end(body);
        });
      expect(await lookups(async () => expect(await h2()).toBe(200))).toBe(1);
    } finally {
      await closeH2Session(session);
    }
  });
});
