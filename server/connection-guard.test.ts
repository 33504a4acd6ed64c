/**
 * The connection guard counting a session's streams from the server's own `stream` listener (the
 * fast lane's, `installFastLane`) rather than from a listener of its own on every session, and
 * the lane closing its calls from the guard's `close` listener rather than a second one.
 */
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { create, toBinary } from "@bufbuild/protobuf";
import { createConnectRouter } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { Health, HealthCheckRequestSchema } from "../shared/gen/grpc/health/v1/health_pb.js";
import { closeH2Session, grpcFrame, grpcRequest, openH2Session } from "../test/support/h2-client.js";
import { createConnectionGuard, guardServer } from "./connection-guard.js";
import { installFastLane } from "./transport/grpc-fast-lane.js";
import { createLanes } from "./transport/lanes.js";

const PATH = "/grpc.health.v1.Health/Check";
const MESSAGE = toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema, { service: "" }));

const servers: http2.Http2Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** An h2c server with the guard (idle timeout `idleMs`) and the unary lane in front, as cleartext-server.ts sets them up. */
async function guardedServer(idleMs: number) {
  const lanes = createLanes("fast", { interceptors: [], readMaxBytes: 1 << 20, maxTimeoutMs: 60_000 });
  lanes.record(createConnectRouter()).service(Health, { check: () => ({ status: 1 }) });
  const server = http2.createServer();
  const guard = createConnectionGuard({ maxClients: 0, maxClientsPerAddress: 0, idleTimeoutMs: idleMs });
  guardServer(server, guard);
  const seen: { closeListeners: number; sessionStreamListeners: number }[] = [];
  installFastLane(server, (stream, headers) => {
    const taken = lanes.serveStream(stream, headers);
    // What the stream and its session carry once the guard and the lane have both seen it.
    seen.push({
      closeListeners: stream.listenerCount("close"),
      sessionStreamListeners: stream.session?.listenerCount("stream") ?? -1,
    });
    return taken;
  });
  server.on("session", (session) => guard.watchSession(session));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, lanes };
}

/** One Health check on `session`: its grpc-status. */
const check = async (session: http2.ClientHttp2Session) =>
  (await grpcRequest(session, PATH, grpcFrame(MESSAGE))).grpcStatus;

describe("connection guard and the unary lane share their stream listeners", () => {
  it("a lane call has one close listener and its session one stream listener (Node's); the guard still counts it", async () => {
    const { url, seen, lanes } = await guardedServer(300);
    const session = openH2Session(url);
    const closed = new Promise<void>((r) => session.once("close", () => r()));
    try {
      expect(await check(session)).toBe("0");
      expect(await check(session)).toBe("0");
      expect(lanes.unaryCalls()).toBe(2);
      // Two listeners each made Node keep and clone an array at every emit.
      expect(seen).toEqual([
        { closeListeners: 1, sessionStreamListeners: 1 },
        { closeListeners: 1, sessionStreamListeners: 1 },
      ]);
      // Both streams were counted and uncounted: with none open, the idle timeout closes the session.
      await closed;
    } finally {
      await closeH2Session(session);
    }
  });

  it("a stream open past the idle timeout keeps its session (the guard counts streams it got from the server)", async () => {
    const { url } = await guardedServer(150);
    const session = openH2Session(url);
    try {
      const s = session.request({
        ":method": "POST",
        ":path": PATH,
        "content-type": "application/grpc",
        te: "trailers",
      });
      s.on("error", () => {});
      // The request body is held back past the idle timeout: the open stream keeps the session up.
      await new Promise((r) => setTimeout(r, 400));
      expect(session.closed || session.destroyed).toBe(false);
      const status = new Promise<string | undefined>((resolve) => {
        s.on("trailers", (t) => resolve(t["grpc-status"] as string | undefined));
        s.on("data", () => {});
      });
      s.end(grpcFrame(MESSAGE));
      expect(await status).toBe("0");
    } finally {
      await closeH2Session(session);
    }
  });
});
