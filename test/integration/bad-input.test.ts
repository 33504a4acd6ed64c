/**
 * Hostile and malformed input against the real server: malformed protobuf, wrong content types,
 * oversize messages, unknown methods and invalid arguments each get the right code, the server
 * stays up, and the store is unchanged (DBSIZE and a digest of every key, before and after).
 */
import type * as http2 from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemorabiliaClient, type NodeMemorabiliaClient } from "../../server/client-node.js";
import { createServiceClients, utf8 } from "../../shared/client/index.js";
import { ListEnd } from "../../shared/gen/memorabilia/v1/lists_service_pb.js";
import type { SetCondition } from "../../shared/gen/memorabilia/v1/strings_service_pb.js";
import { h2Request, openH2Session } from "../support/h2-client.js";
import { type ServerProcess, startServerProcess } from "../support/server-process.js";
import { Code, fingerprint, PROTOCOLS, rpcError } from "./support/protocols.js";

const MAX_REQUEST_BYTES = 4096;
const MAX_VALUE_BYTES = 64;

let server: ServerProcess;
let c: NodeMemorabiliaClient;
let before: Awaited<ReturnType<typeof fingerprint>>;

beforeAll(async () => {
  server = await startServerProcess([
    "--max-request-bytes",
    String(MAX_REQUEST_BYTES),
    "--max-value-bytes",
    String(MAX_VALUE_BYTES),
  ]);
  c = createMemorabiliaClient({ baseUrl: server.url });
  // Known keys of every type.
  await c.strings.set({ key: "bad:s", value: utf8("value") });
  await c.lists.push({ key: "bad:l", end: ListEnd.RIGHT, elements: [utf8("a"), utf8("b")] });
  await c.hashes.hSet({ key: "bad:h", fields: [{ field: utf8("f"), value: utf8("v") }] });
  await c.sets.sAdd({ key: "bad:set", members: [utf8("m")] });
  await c.sortedSets.zAdd({ key: "bad:z", members: [{ member: utf8("m"), score: 2 }] });
  before = await fingerprint(c);
});
afterAll(async () => {
  // The server is still up and the store is exactly as it was.
  expect(server.child.exitCode).toBeNull();
  expect(await fingerprint(c)).toEqual(before);
  c.close();
  await server?.stop();
});

/** A Connect unary POST with a raw body. */
async function connectPost(path: string, contentType: string, body: Uint8Array | string) {
  const res = await fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "content-type": contentType },
    body: typeof body === "string" ? body : Buffer.from(body),
  });
  const text = await res.text();
  return { status: res.status, text };
}

/** A gRPC call over h2c with a raw (already framed) body; resolves with grpc-status. */
function grpcPost(
  path: string,
  body: Uint8Array,
  contentType = "application/grpc+proto",
): Promise<{ status: string | undefined; message: string | undefined; httpStatus: number | undefined }> {
  return h2Request(
    server.url,
    { ":method": "POST", ":path": path, "content-type": contentType, te: "trailers" },
    body,
  ).then((a) => {
    const headers = { ...a.headers, ...a.trailers };
    return {
      status: headers["grpc-status"] as string | undefined,
      message: headers["grpc-message"] as string | undefined,
      httpStatus: headers[":status"] as number | undefined,
    };
  });
}

/** A gRPC / gRPC-Web length-prefixed frame. */
function frame(payload: Uint8Array, flags = 0): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, payload.length);
  out.set(payload, 5);
  return out;
}

// Bytes that are not a valid protobuf message: field 1 (LEN) claims 100 bytes, 2 follow.
const MALFORMED = Uint8Array.from([0x0a, 0x64, 0x41, 0x42]);

// connect-es answers a binary body that does not parse with INTERNAL, as grpc-go does; the
// server rewrites it to INVALID_ARGUMENT, the client's fault it is (shared/api/decode-errors.ts).
describe("malformed protobuf", () => {
  it("never OK, never kills the server, whatever the protocol", async () => {
    const connect = await connectPost("/memorabilia.v1.StringsService/Set", "application/proto", MALFORMED);
    expect(connect.status).toBeGreaterThanOrEqual(400);
    const grpc = await grpcPost("/memorabilia.v1.StringsService/Set", frame(MALFORMED));
    expect(grpc.status).not.toBe("0");
    expect(grpc.status).toBe(String(Code.InvalidArgument));
  });
  it("Connect (binary) gives INVALID_ARGUMENT", async () => {
    const res = await connectPost("/memorabilia.v1.StringsService/Set", "application/proto", MALFORMED);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text).code).toBe("invalid_argument");
  });
  it("Connect (JSON): broken JSON and wrong field types are INVALID_ARGUMENT", async () => {
    for (const body of ["{not json", '{"key": 42, "value": []}', '{"key":"bad:s","delta":"x"}']) {
      const res = await connectPost("/memorabilia.v1.StringsService/IncrBy", "application/json", body);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.text).code).toBe("invalid_argument");
    }
  });
  it("gRPC over h2c gives grpc-status 3 INVALID_ARGUMENT", async () => {
    const res = await grpcPost("/memorabilia.v1.StringsService/Set", frame(MALFORMED));
    expect(res.status).toBe(String(Code.InvalidArgument));
  });
  it("gRPC: a frame whose length exceeds the body is refused, not waited on forever", async () => {
    const truncated = frame(utf8("abcdef")).slice(0, 7);
    const res = await grpcPost("/memorabilia.v1.StringsService/Set", truncated);
    expect(res.status).not.toBe("0");
    expect(res.status).toBeDefined();
  });
  it("gRPC-Web over HTTP/1.1 gives INVALID_ARGUMENT", async () => {
    const res = await fetch(`${server.url}/memorabilia.v1.StringsService/Set`, {
      method: "POST",
      headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1" },
      body: Buffer.from(frame(MALFORMED)),
    });
    const body = new Uint8Array(await res.arrayBuffer());
    const trailer = new TextDecoder().decode(body);
    const status = res.headers.get("grpc-status") ?? /grpc-status:\s*(\d+)/.exec(trailer)?.[1];
    expect(status).toBe(String(Code.InvalidArgument));
  });
});

describe("wrong content types", () => {
  it.each(["text/plain", "application/xml", "multipart/form-data"])(
    "Connect POST as %s: 415 Unsupported Media Type",
    async (type) => {
      const res = await connectPost("/memorabilia.v1.StringsService/Get", type, '{"key":"bad:s"}');
      expect(res.status).toBe(415);
    },
  );
  it("gRPC with an unknown codec (application/grpc+xml): not OK, and not run", async () => {
    const res = await grpcPost("/memorabilia.v1.KeysService/FlushAll", frame(new Uint8Array()), "application/grpc+xml");
    expect(res.status === undefined ? res.httpStatus : Number(res.status)).not.toBe(0);
    expect(res.httpStatus === 415 || res.status !== "0").toBe(true);
  });
});

describe("oversize messages", () => {
  it.each(PROTOCOLS)("%s: a request over --max-request-bytes is RESOURCE_EXHAUSTED", async (_name, makeTransport) => {
    const client = createServiceClients(makeTransport(server.url));
    const error = await rpcError(client.strings.set({ key: "bad:big", value: new Uint8Array(MAX_REQUEST_BYTES + 1) }));
    expect(error.code).toBe(Code.ResourceExhausted);
  });
  it.each(PROTOCOLS)(
    "%s: a value over --max-value-bytes is RESOURCE_EXHAUSTED with the store's LIMIT code",
    async (_name, makeTransport) => {
      const client = createServiceClients(makeTransport(server.url));
      const error = await rpcError(client.strings.set({ key: "bad:s", value: new Uint8Array(MAX_VALUE_BYTES + 1) }));
      expect(error.code).toBe(Code.ResourceExhausted);
      expect(error.metadata.get("memorabilia-error-code")).toBe("LIMIT");
      const append = await rpcError(client.strings.append({ key: "bad:s", value: new Uint8Array(MAX_VALUE_BYTES) }));
      expect(append.code).toBe(Code.ResourceExhausted);
    },
  );
});

/**
 * Sends a gRPC request whose first DATA frame is over --max-request-bytes and does not end the
 * request; resolves with the trailers' grpc-status once the stream closes, or "timeout" when it
 * does not close within `ms` (Node's HTTP/2 used to leave such a stream half-closed).
 */
function oversizeUntilClose(extraHeaders: http2.OutgoingHttpHeaders, ms = 2000): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const session = openH2Session(server.url, { onError: reject });
    const req = session.request({
      ":method": "POST",
      ":path": "/memorabilia.v1.StringsService/Set",
      "content-type": "application/grpc+proto",
      te: "trailers",
      ...extraHeaders,
    });
    let status: string | undefined;
    const timer = setTimeout(() => {
      session.destroy();
      resolve("timeout");
    }, ms);
    req.on("trailers", (t) => {
      status = t["grpc-status"] as string | undefined;
    });
    req.on("data", () => {});
    req.on("error", () => {});
    req.on("close", () => {
      clearTimeout(timer);
      session.close();
      resolve(status);
    });
    req.write(frame(new Uint8Array(MAX_REQUEST_BYTES + 1000)));
  });
}

describe("an oversize request the client never ends", () => {
  it.each([
    ["the gRPC fast lane", {}],
    // A grpc-encoding the lane declines: served by connect through Fastify.
    ["the connect path", { "grpc-encoding": "gzip" }],
  ])("%s: RESOURCE_EXHAUSTED trailers, then the stream closes", async (_name, headers) => {
    expect(await oversizeUntilClose(headers)).toBe(String(Code.ResourceExhausted));
  });
});

describe("unknown methods", () => {
  it("Connect: an unknown method of a known service and an unknown service are 404 / unimplemented", async () => {
    for (const path of ["/memorabilia.v1.StringsService/Nope", "/memorabilia.v9.Nothing/Get"]) {
      const res = await connectPost(path, "application/json", "{}");
      expect(res.status).toBe(404);
    }
  });
  it("gRPC: grpc-status 12, or HTTP 404 (which gRPC clients read as UNIMPLEMENTED)", async () => {
    const res = await grpcPost("/memorabilia.v1.StringsService/Nope", frame(new Uint8Array()));
    expect(res.status === String(Code.Unimplemented) || res.httpStatus === 404).toBe(true);
  });
});

describe("invalid arguments", () => {
  it.each(PROTOCOLS)(
    "%s: bad cursor, unknown enum value, missing oneof, NaN score are INVALID_ARGUMENT",
    async (_name, makeTransport) => {
      const client = createServiceClients(makeTransport(server.url));
      const calls: (() => Promise<unknown>)[] = [
        () => client.keys.scan({ cursor: "not-a-cursor" }),
        () => client.strings.set({ key: "bad:s", value: utf8("x"), condition: 99 as SetCondition }),
        () => client.keys.expire({ key: "bad:s" }),
        () => client.sortedSets.zAdd({ key: "bad:z", members: [{ member: utf8("m"), score: Number.NaN }] }),
        () => client.strings.incrBy({ key: "bad:s", delta: 1n }),
        () => client.command.execute({ args: [] }),
      ];
      for (const call of calls) expect((await rpcError(call())).code).toBe(Code.InvalidArgument);
    },
  );
});

describe("after all of it", () => {
  it("the server answers and the known keys are intact", async () => {
    expect(server.child.exitCode).toBeNull();
    expect(await fingerprint(c)).toEqual(before);
    expect((await c.keys.dbSize({})).size).toBe(5n);
  });
});
