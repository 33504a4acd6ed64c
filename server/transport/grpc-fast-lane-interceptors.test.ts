/**
 * The fast lane runs the interceptor chain itself (composed once, the call's context handed to the
 * handler, response headers made only when read). These cases prove it answers exactly as
 * connect's own handler (`connectNodeAdapter`) with the same interceptors, including interceptors
 * that replace the request or the response by a copy, replace headers, or read the signal, and a
 * handler that reads the signal, request headers and context values and writes response headers
 * and trailers.
 */
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { create, toBinary } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createConnectRouter,
  createContextKey,
  createContextValues,
  type HandlerContext,
  type Interceptor,
} from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { afterEach, describe, expect, it } from "vitest";
import {
  Health,
  HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus,
} from "../../shared/gen/grpc/health/v1/health_pb.js";
import { grpcFrame, grpcRequest, withoutDate } from "../../test/support/h2-client.js";
import { createGrpcFastLane } from "./grpc-fast-lane.js";

const kTag = createContextKey<string>("none", { description: "tag" });

/** A handler that touches every part of its context. */
const impl = {
  check(req: { service: string }, ctx: HandlerContext) {
    ctx.responseHeader.set("x-seen", `${ctx.requestHeader.get("x-in")}|${ctx.values.get(kTag)}|${ctx.signal.aborted}`);
    ctx.responseTrailer.set("x-trail", req.service);
    if (req.service === "fail") throw new ConnectError("refused", Code.FailedPrecondition);
    return { status: HealthCheckResponse_ServingStatus.SERVING };
  },
  list() {
    return {};
  },
  async *watch() {},
};

/** A handler that reads nothing: the lane then makes no signal and no response Headers. */
const quiet = {
  check: () => ({ status: HealthCheckResponse_ServingStatus.NOT_SERVING }),
  list: () => ({}),
  async *watch() {},
};

const interceptors: [string, Interceptor[]][] = [
  ["none", []],
  ["pass-through", [(next) => (req) => next(req)]],
  [
    "request copied with a new header",
    [(next) => (req) => next({ ...req, header: new Headers({ "x-in": "replaced" }) })],
  ],
  ["response copied", [(next) => async (req) => ({ ...(await next(req)) })]],
  [
    "response header replaced",
    [(next) => async (req) => ({ ...(await next(req)), header: new Headers({ "x-new": "1" }) })],
  ],
  [
    "response trailer replaced",
    [(next) => async (req) => ({ ...(await next(req)), trailer: new Headers({ "x-t": "2" }) })],
  ],
  [
    "signal read by an interceptor, context value set",
    [
      (next) => (req) => {
        req.contextValues.set(kTag, `aborted=${req.signal.aborted}`);
        return next(req);
      },
    ],
  ],
  [
    "two interceptors, outer copies the request",
    [
      (next) => (req) => next({ ...req, contextValues: createContextValues().set(kTag, "outer") }),
      (next) => async (req) => {
        const res = await next(req);
        res.header.set("x-inner", req.contextValues.get(kTag));
        return res;
      },
    ],
  ],
];

interface Answer {
  headers: Record<string, unknown>;
  headerOrder: string[];
  trailers: Record<string, unknown>;
  body: string;
}

const servers: http2.Http2Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

async function listen(server: http2.Http2Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function laneServer(handler: typeof impl | typeof quiet, chain: Interceptor[]): Promise<string> {
  const lane = createGrpcFastLane({ interceptors: chain, readMaxBytes: 1 << 20, maxTimeoutMs: 0 });
  lane.record(createConnectRouter()).service(Health, handler as never);
  const server = http2.createServer();
  server.on("stream", (stream, headers) => {
    if (!lane.handle(stream, headers)) stream.respond({ ":status": 404 }, { endStream: true });
  });
  return listen(server);
}

async function connectServer(handler: typeof impl | typeof quiet, chain: Interceptor[]): Promise<string> {
  const server = http2.createServer(
    connectNodeAdapter({ routes: (r) => r.service(Health, handler as never), interceptors: chain }),
  );
  return listen(server);
}

async function call(url: string, service: string, extra: Record<string, string> = {}): Promise<Answer> {
  const message = toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema, { service }));
  const a = await grpcRequest(url, "/grpc.health.v1.Health/Check", grpcFrame(message), {
    "x-in": "original",
    ...extra,
  });
  const headers = { ...withoutDate(a.headers) };
  return { headers, headerOrder: Object.keys(headers), trailers: { ...a.trailers }, body: a.body.toString("hex") };
}

describe("fast lane interceptor chain vs connect's handler", () => {
  it.each(interceptors)("%s: same headers (and order), message and trailers", async (_name, chain) => {
    const lane = await laneServer(impl, chain);
    const normal = await connectServer(impl, chain);
    for (const [service, extra] of [
      ["ok", {}],
      ["fail", {}],
      ["ok", { "grpc-accept-encoding": "gzip" }],
    ] as const) {
      const a = await call(lane, service, extra);
      const b = await call(normal, service, extra);
      expect(a).toEqual(b);
    }
  });

  it("a handler that reads nothing answers the same (defaults written without Headers objects)", async () => {
    const lane = await laneServer(quiet, []);
    const normal = await connectServer(quiet, []);
    for (const extra of [{}, { "grpc-accept-encoding": "gzip, br" }] as Record<string, string>[]) {
      const a = await call(lane, "", extra);
      const b = await call(normal, "", extra);
      expect(a).toEqual(b);
      expect(a.trailers["grpc-status"]).toBe("0");
    }
  });
});
