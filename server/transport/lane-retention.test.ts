/**
 * What a served call leaves behind on the objects Node keeps: a closed HTTP/2 stream is kept
 * (with everything it points to) until a full GC, and a keep-alive socket lives for the
 * connection. Per-call state still reachable from them was promoted to the old generation with
 * them: ~4 KB a unary call, most of the lanes' GC cost (README, "Cost per call"). These tests fail
 * when a per-call closure or object stays on a closed stream, or when each request adds to its
 * socket.
 */
import * as http from "node:http";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { create, toBinary } from "@bufbuild/protobuf";
import { createConnectRouter } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health, HealthCheckRequestSchema } from "../../shared/gen/grpc/health/v1/health_pb.js";
import { closeH2Session, grpcFrame, grpcRequest, openH2Session } from "../../test/support/h2-client.js";
import { type BytesHolder, RequestBytesBudget } from "../request-bytes.js";
import { createRequestGate } from "../request-gate.js";
import { createLanes } from "./lanes.js";

const PATH = "/grpc.health.v1.Health/Check";
const MESSAGE = toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema, { service: "" }));

/** The gate and the lanes as the server puts them in front of a port (app.ts createTransport). */
function gateAndLanes(requestBytes = new RequestBytesBudget(1 << 30)) {
  const lanes = createLanes("fast", {
    interceptors: [],
    readMaxBytes: 1 << 20,
    maxTimeoutMs: 60_000,
    requestBytes,
    contextValues: undefined,
  });
  const gate = createRequestGate({
    requestBytes,
    maxTimeoutMs: 60_000,
    requestTimeoutMs: 30_000,
    countsOwnStreamBody: (headers) => lanes.countsOwnStreamBody(headers),
    countsOwnRequestBody: (req) => lanes.countsOwnRequestBody(req),
  });
  const router = lanes.record(createConnectRouter());
  router.service(Health, { check: () => ({ status: 1 }) });
  gate.addMethods([[PATH, Health.method.check]]);
  return { gate, lanes, requestBytes };
}

/** The stream's own properties of ours (`memorabilia.*` symbols) that still hold an object. */
function callStateLeft(stream: object): string[] {
  const left: string[] = [];
  for (const key of Object.getOwnPropertySymbols(stream)) {
    if (!key.description?.startsWith("memorabilia.")) continue;
    const value = (stream as Record<symbol, unknown>)[key];
    if (value !== undefined && typeof value !== "function") left.push(key.description);
  }
  return left;
}

// The events the gate and the lanes listen to ("finish" is left out: Node's own HTTP/2 code adds a
// closure per stream there).
const EVENTS = ["data", "end", "close", "error", "aborted", "wantTrailers"] as const;

describe("a served call leaves nothing of itself on what Node keeps", () => {
  const { gate, lanes, requestBytes } = gateAndLanes();
  const closed: http2.ServerHttp2Stream[] = [];
  function onClosed(this: http2.ServerHttp2Stream): void {
    closed.push(this);
  }
  let h2server: http2.Http2Server;
  let h1server: http.Server;
  let h2url: string;
  let h1port: number;
  const serverSockets = new Set<object>();

  beforeAll(async () => {
    h2server = http2.createServer();
    h2server.on("stream", (stream, headers) => {
      stream.on("close", onClosed); // shared, like the lanes' own: the test adds no per-call closure
      if (!gate.handleStream(stream, headers) && !lanes.serveStream(stream, headers))
        stream.respond({ ":status": 404 }, { endStream: true });
    });
    h1server = http.createServer((req, res) => {
      if (!gate.handleHttp1(req, res) && !lanes.serveRequest(req, res)) res.writeHead(404).end();
    });
    h1server.on("connection", (socket) => serverSockets.add(socket));
    await new Promise<void>((r) => h2server.listen(0, "127.0.0.1", r));
    await new Promise<void>((r) => h1server.listen(0, "127.0.0.1", r));
    h2url = `http://127.0.0.1:${(h2server.address() as AddressInfo).port}`;
    h1port = (h1server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((r) => h2server.close(r));
    h1server.closeAllConnections();
    await new Promise((r) => h1server.close(r));
  });

  /** One call over HTTP/2 in `protocol`; resolves with the HTTP status once the server's stream closed. */
  async function h2Call(session: http2.ClientHttp2Session, contentType: string): Promise<number> {
    const before = closed.length;
    const status = await new Promise<number>((resolve, reject) => {
      const s = session.request({ ":method": "POST", ":path": PATH, "content-type": contentType, te: "trailers" });
      let code = 0;
      s.on("response", (h) => {
        code = Number(h[":status"]);
      });
      s.on("data", () => {});
      s.on("end", () => resolve(code));
      s.on("error", reject);
      s.end(contentType === "application/proto" ? Buffer.from(MESSAGE) : grpcFrame(MESSAGE));
    });
    while (closed.length === before) await new Promise((r) => setImmediate(r));
    return status;
  }

  it.each([
    ["gRPC (unary lane)", "application/grpc+proto"],
    ["gRPC-Web (web lane)", "application/grpc-web+proto"],
    ["Connect (web lane)", "application/proto"],
  ])("%s over HTTP/2: no call state, and only shared listeners, on the closed streams", async (_, type) => {
    const session = openH2Session(h2url);
    try {
      const from = closed.length;
      const calls = lanes.unaryCalls();
      expect(await h2Call(session, type)).toBe(200);
      expect(await h2Call(session, type)).toBe(200);
      expect(lanes.unaryCalls()).toBe(calls + 2); // served by a lane, not the 404 fallback
      const [a, b] = closed.slice(from) as [http2.ServerHttp2Stream, http2.ServerHttp2Stream];
      expect(callStateLeft(a)).toEqual([]);
      expect(callStateLeft(b)).toEqual([]);
      // Every listener left on one stream is the same function object on the other: none is a
      // closure made for its call (it would keep the call reachable from the kept stream).
      for (const event of EVENTS) {
        const shared = new Set(a.listeners(event));
        for (const l of b.listeners(event))
          expect(shared.has(l), `a per-call "${event}" listener: ${String(l).slice(0, 200)}`).toBe(true);
      }
      expect(requestBytes.inFlight).toBe(0);
    } finally {
      await closeH2Session(session);
    }
  });

  it("HTTP/1.1 keep-alive: the socket's destroy stays one function, however many requests it carried", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const destroys = new Set<unknown>();
    try {
      for (let i = 0; i < 20; i++) {
        await new Promise<void>((resolve, reject) => {
          const body = Buffer.from(MESSAGE);
          const req = http.request(
            {
              agent,
              host: "127.0.0.1",
              port: h1port,
              method: "POST",
              path: PATH,
              headers: { "content-type": "application/proto", "content-length": body.length },
            },
            (res) => {
              expect(res.statusCode).toBe(200);
              res.resume();
              res.on("end", () => {
                // The server's side of the one connection.
                for (const c of serverSockets) destroys.add((c as { destroy: unknown }).destroy);
                resolve();
              });
            },
          );
          req.on("error", reject);
          req.end(body);
        });
      }
      expect(serverSockets.size).toBe(1);
      // A wrapper bound per request grew a chain of bound functions on the socket (20 here).
      expect(destroys.size).toBe(1);
      expect(requestBytes.inFlight).toBe(0);
    } finally {
      agent.destroy();
    }
  });
});

/** A budget that notes what each body's holder would call if the budget cut it. */
class WatchedBudget extends RequestBytesBudget {
  readonly onCuts: unknown[] = [];

  override update(holder: BytesHolder, bytes: number): boolean {
    this.onCuts.push((holder as { onCut?: unknown }).onCut);
    return super.update(holder, bytes);
  }
}

describe("the gRPC lane's body read makes no closure per call", () => {
  it("a body's budget holder calls one shared function for every call (a closure made per call held the read)", async () => {
    const budget = new WatchedBudget(1 << 30);
    const { gate, lanes } = gateAndLanes(budget);
    const server = http2.createServer();
    server.on("stream", (stream, headers) => {
      if (!gate.handleStream(stream, headers) && !lanes.serveStream(stream, headers))
        stream.respond({ ":status": 404 }, { endStream: true });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const session = openH2Session(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    try {
      for (let i = 0; i < 2; i++) {
        const { grpcStatus: status } = await grpcRequest(session, PATH, grpcFrame(MESSAGE));
        expect(status).toBe("0");
      }
      expect(budget.onCuts).toHaveLength(2);
      const [first, second] = budget.onCuts;
      expect(typeof first).toBe("function");
      expect(second).toBe(first);
      expect(budget.inFlight).toBe(0);
    } finally {
      await closeH2Session(session);
      await new Promise((r) => server.close(r));
    }
  });
});
