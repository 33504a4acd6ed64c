/**
 * gRPC through an independent implementation: @grpc/grpc-js with @grpc/proto-loader loading our
 * .proto files from proto/ (no generated code), against the real server.
 */
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServerProcess, startServerProcess } from "../support/server-process.js";

type Callback = (error: grpc.ServiceError | null, response: Record<string, unknown>) => void;
type UnaryClient = grpc.Client & Record<string, (request: object, callback: Callback) => void>;

const PROTO_DIR = join(process.cwd(), "proto");
const definition = protoLoader.loadSync(
  [
    "memorabilia/v1/strings_service.proto",
    "memorabilia/v1/keys_service.proto",
    "memorabilia/v1/lists_service.proto",
    "memorabilia/v1/command_service.proto",
    "memorabilia/v1/watch_service.proto",
  ],
  { includeDirs: [PROTO_DIR], longs: String, enums: String, defaults: true, oneofs: true },
);
// biome-ignore lint/suspicious/noExplicitAny: the package object is dynamic by nature
const v1 = (grpc.loadPackageDefinition(definition) as any).memorabilia.v1;

let server: ServerProcess;
const clients: grpc.Client[] = [];
function client(service: string): UnaryClient {
  const c = new v1[service](`127.0.0.1:${server.port}`, grpc.credentials.createInsecure()) as UnaryClient;
  clients.push(c);
  return c;
}
function call(c: UnaryClient, method: string, request: object): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    (c[method] as UnaryClient[string]).call(c, request, (error, response) =>
      error ? reject(error) : resolve(response),
    );
  });
}

beforeAll(async () => {
  server = await startServerProcess();
});
afterAll(async () => {
  for (const c of clients) c.close();
  await server?.stop();
});

describe("@grpc/grpc-js with proto-loader", () => {
  it("Set, Get, IncrBy, Ttl (longs as strings, bytes as Buffers)", async () => {
    const strings = client("StringsService");
    const keys = client("KeysService");
    await call(strings, "Set", { key: "gj:a", value: Buffer.from("hello"), ttlMs: "60000" });
    const got = await call(strings, "Get", { key: "gj:a" });
    expect(Buffer.from(got.value as Buffer).toString()).toBe("hello");
    expect((await call(strings, "IncrBy", { key: "gj:n", delta: "5" })).value).toBe("5");
    const ttl = (await call(keys, "Ttl", { key: "gj:a" })).ttl as { status: string; ttlMs: string };
    expect(ttl.status).toBe("TTL_STATUS_EXPIRES");
    expect(Number(ttl.ttlMs)).toBeGreaterThan(50_000);
  });

  it("a raw command through CommandService.Execute", async () => {
    const command = client("CommandService");
    const res = (await call(command, "Execute", { args: ["RPUSH", "gj:l", "a", "b"].map((s) => Buffer.from(s)) })) as {
      reply: { integer: string };
    };
    expect(res.reply.integer).toBe("2");
  });

  it.each([
    ["WRONGTYPE", grpc.status.FAILED_PRECONDITION, "Get", { key: "gj:list" }, "StringsService"],
    ["NOT_INTEGER", grpc.status.INVALID_ARGUMENT, "IncrBy", { key: "gj:s", delta: "1" }, "StringsService"],
    ["NO_SUCH_KEY", grpc.status.NOT_FOUND, "Rename", { key: "gj:absent", newKey: "gj:b" }, "KeysService"],
  ] as const)(
    "%s reaches grpc-js as status %i with the message and the code in trailers",
    async (storeCode, status, method, request, service) => {
      const c = client(service);
      await call(client("ListsService"), "Push", {
        key: "gj:list",
        end: "LIST_END_LEFT",
        elements: [Buffer.from("x")],
      });
      await call(client("StringsService"), "Set", { key: "gj:s", value: Buffer.from("abc") });
      const error = (await call(c, method, request).catch((e: grpc.ServiceError) => e)) as grpc.ServiceError;
      expect(error.code).toBe(status);
      expect(error.metadata.get("memorabilia-error-code")).toEqual([storeCode]);
      expect(error.details).toMatch(storeCode === "WRONGTYPE" ? /^WRONGTYPE/ : /^ERR/);
    },
  );

  it("an unknown method is UNIMPLEMENTED", async () => {
    const unknown = new grpc.Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    clients.push(unknown);
    const error = await new Promise<grpc.ServiceError>((resolve) => {
      unknown.makeUnaryRequest(
        "/memorabilia.v1.StringsService/NoSuchMethod",
        (x: Buffer) => x,
        (x: Buffer) => x,
        Buffer.alloc(0),
        (e) => resolve(e as grpc.ServiceError),
      );
    });
    expect(error.code).toBe(grpc.status.UNIMPLEMENTED);
  });

  it("Watch as a grpc-js server stream", async () => {
    const watch = client("WatchService") as unknown as {
      Watch(req: object): grpc.ClientReadableStream<Record<string, unknown>>;
    };
    const stream = watch.Watch({ pattern: "gj:w:*" });
    // A Watch without a snapshot confirms its subscription with a first heartbeat: write after it.
    let subscribed: () => void = () => {};
    const confirmed = new Promise<void>((resolve) => {
      subscribed = resolve;
    });
    const event = new Promise<{ event: string; key: string }>((resolve, reject) => {
      stream.on("data", (msg: { events?: { events: { event: string; key: string }[] } }) => {
        subscribed();
        const first = msg.events?.events[0];
        if (first) resolve(first);
      });
      stream.on("error", (e: grpc.ServiceError) => (e.code === grpc.status.CANCELLED ? undefined : reject(e)));
    });
    await confirmed;
    await call(client("StringsService"), "Set", { key: "gj:w:1", value: Buffer.from("v") });
    expect(await event).toEqual(expect.objectContaining({ event: "set", key: "gj:w:1" }));
    stream.cancel();
  });
});
