import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, createHandlerContext, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { GetRequestSchema, StringsService } from "../gen/memorabilia/v1/strings_service_pb.js";
import { TransactionService } from "../gen/memorabilia/v1/transaction_service_pb.js";
import { ErrorDetailSchema } from "../gen/memorabilia/v1/types_pb.js";
import { type ErrorCode, StoreError } from "../store/errors.js";
import type { Repository } from "../store/repository.js";
import { AwaitedRepository } from "../store/staged-repository.test-helpers.js";
import { createStore } from "../store/store.js";
import { ERROR_CODE_HEADER, STORE_ERROR_CODES, toConnectError } from "./error-map.js";
import { createStringsService } from "./strings-service.js";
import { b, createTestApi, rpcError } from "./testing.js";
import { createTransactionService } from "./transaction-service.js";

/** The mapping the brief and the gRPC status semantics call for, written out independently. */
const EXPECTED: [ErrorCode, Code][] = [
  ["WRONGTYPE", Code.FailedPrecondition],
  ["ERR", Code.InvalidArgument],
  ["SYNTAX", Code.InvalidArgument],
  ["NOT_INTEGER", Code.InvalidArgument],
  ["NOT_FLOAT", Code.InvalidArgument],
  ["NAN", Code.InvalidArgument],
  ["OVERFLOW", Code.InvalidArgument],
  ["INDEX_OUT_OF_RANGE", Code.InvalidArgument],
  ["INVALID_EXPIRE", Code.InvalidArgument],
  ["INVALID_CURSOR", Code.InvalidArgument],
  ["WRONG_ARITY", Code.InvalidArgument],
  ["UNKNOWN_COMMAND", Code.InvalidArgument],
  ["EXEC_ABORT", Code.InvalidArgument],
  ["NO_SUCH_KEY", Code.NotFound],
  ["LIMIT", Code.ResourceExhausted],
  ["OOM", Code.ResourceExhausted],
  ["CAPACITY", Code.ResourceExhausted],
  ["NOAUTH", Code.Unauthenticated],
  ["NOPERM", Code.PermissionDenied],
  ["READONLY", Code.PermissionDenied],
  ["ABORTED", Code.Aborted],
  ["UNAVAILABLE", Code.Unavailable],
  ["MISCONF", Code.Unavailable],
  ["NOGROUP", Code.NotFound],
  ["BUSYGROUP", Code.AlreadyExists],
  ["INVALIDOBJ", Code.FailedPrecondition],
];

const silent = { error: () => {} };

describe("toConnectError", () => {
  it("covers every store error code", () => {
    expect(Object.keys(STORE_ERROR_CODES).sort()).toEqual(EXPECTED.map(([c]) => c).sort());
  });

  it.each(EXPECTED)("%s -> %s, with the Redis message, header and detail", (storeCode, code) => {
    const cause = new StoreError(storeCode);
    const e = toConnectError(cause, silent);
    expect(e.code).toBe(code);
    expect(e.rawMessage).toBe(cause.message);
    expect(e.metadata.get(ERROR_CODE_HEADER)).toBe(storeCode);
    expect(e.cause).toBe(cause);
    expect(e.details).toHaveLength(1);
  });

  it("passes a ConnectError through unchanged", () => {
    const e = new ConnectError("late", Code.DeadlineExceeded);
    expect(toConnectError(e, silent)).toBe(e);
  });

  it("turns anything else into INTERNAL without leaking it, and logs it once", () => {
    const logged: unknown[] = [];
    const bug = new TypeError("x is undefined");
    const e = toConnectError(bug, { error: (_m, d) => logged.push(d.error) }, "/p");
    expect(e.code).toBe(Code.Internal);
    expect(e.rawMessage).toBe("internal error");
    expect(e.cause).toBe(bug);
    expect(logged).toEqual([bug]);
  });

  it("maps a code the table does not know to INTERNAL and logs it", () => {
    const logged: string[] = [];
    const odd = new StoreError("ERR");
    (odd as { code: string }).code = "FUTURE_CODE";
    const e = toConnectError(odd, { error: (m) => logged.push(m) });
    expect(e.code).toBe(Code.Internal);
    expect(logged).toHaveLength(1);
  });
});

describe("errors through the transport", () => {
  const api = createTestApi({ limits: { maxKeyBytes: 16 } });
  api.ok("SET", "str", "abc");
  api.ok("SET", "max", "9223372036854775807");
  api.ok("RPUSH", "list", "a");
  api.ok("ZADD", "z", "-inf", "m");

  const cases: [string, () => Promise<unknown>, ErrorCode, Code][] = [
    ["WRONGTYPE", () => api.strings.get({ key: "list" }), "WRONGTYPE", Code.FailedPrecondition],
    ["SYNTAX", () => api.commands.execute({ args: ["SET", "k", "v", "BOGUS"].map(b) }), "SYNTAX", Code.InvalidArgument],
    ["NOT_INTEGER", () => api.strings.incrBy({ key: "str", delta: 1n }), "NOT_INTEGER", Code.InvalidArgument],
    ["NOT_FLOAT", () => api.strings.incrByFloat({ key: "str", delta: 1 }), "NOT_FLOAT", Code.InvalidArgument],
    [
      "NAN",
      () => api.zsets.zIncrBy({ key: "z", member: b("m"), increment: Number.POSITIVE_INFINITY }),
      "NAN",
      Code.InvalidArgument,
    ],
    ["OVERFLOW", () => api.strings.incrBy({ key: "max", delta: 1n }), "OVERFLOW", Code.InvalidArgument],
    [
      "INDEX_OUT_OF_RANGE",
      () => api.lists.lSet({ key: "list", index: 5n, element: b("x") }),
      "INDEX_OUT_OF_RANGE",
      Code.InvalidArgument,
    ],
    [
      "INVALID_EXPIRE",
      () => api.strings.set({ key: "k", value: b("v"), expiry: { case: "ttlMs", value: 0n } }),
      "INVALID_EXPIRE",
      Code.InvalidArgument,
    ],
    ["INVALID_CURSOR", () => api.keys.scan({ cursor: "abc" }), "INVALID_CURSOR", Code.InvalidArgument],
    ["WRONG_ARITY", () => api.keys.del({ keys: [] }), "WRONG_ARITY", Code.InvalidArgument],
    ["UNKNOWN_COMMAND", () => api.commands.execute({ args: [b("NOPE")] }), "UNKNOWN_COMMAND", Code.InvalidArgument],
    ["NO_SUCH_KEY", () => api.keys.rename({ key: "missing", newKey: "x" }), "NO_SUCH_KEY", Code.NotFound],
    ["LIMIT", () => api.strings.get({ key: "a-key-longer-than-16-bytes" }), "LIMIT", Code.ResourceExhausted],
    ["ERR", () => api.keys.copy({ source: "str", destination: "str" }), "ERR", Code.InvalidArgument],
  ];

  it.each(cases)("%s", async (_name, call, storeCode, code) => {
    const e = await rpcError(call());
    expect(e.code).toBe(code);
    expect(e.metadata.get(ERROR_CODE_HEADER)).toBe(storeCode);
    expect(e.findDetails(ErrorDetailSchema).map((d) => d.code)).toEqual([storeCode]);
    expect(e.rawMessage).toMatch(/^(ERR|WRONGTYPE) /);
  });

  it("keeps Redis's wording", async () => {
    const e = await rpcError(api.strings.get({ key: "list" }));
    expect(e.rawMessage).toBe("WRONGTYPE Operation against a key holding the wrong kind of value");
    expect(api.logged).toEqual([]);
  });
});

describe("cancellation", () => {
  /** An engine whose commands never finish (a remote engine that hangs). */
  const hanging = (): Repository => {
    const engine = new AwaitedRepository();
    engine.atomic = () => new Promise<never>(() => {});
    return engine;
  };

  const context = () =>
    createHandlerContext({
      service: StringsService,
      method: StringsService.method.get,
      protocolName: "connect",
      requestMethod: "POST",
      url: "http://localhost/memorabilia.v1.StringsService/Get",
    });

  it("a handler gives up with the signal's reason when the deadline passes", async () => {
    const impl = createStringsService(createStore({ repository: hanging() }), { logger: silent });
    const ctx = context();
    const call = impl.get(create(GetRequestSchema, { key: "k" }), ctx);
    ctx.abort(new ConnectError("the operation timed out", Code.DeadlineExceeded));
    const e = await rpcError(Promise.resolve(call));
    expect(e.code).toBe(Code.DeadlineExceeded);
  });

  it("a handler whose signal already aborted runs no command", async () => {
    const store = createStore();
    const impl = createStringsService(store, { logger: silent });
    const ctx = context();
    ctx.abort(new Error("client went away"));
    const e = await rpcError(Promise.resolve(impl.get(create(GetRequestSchema, { key: "k" }), ctx)));
    expect(e.code).toBe(Code.Canceled);
    expect(store.stats().commands).toBe(0);
  });
});

/** Every error that echoes client bytes, as a client sees it (issue 12 item 13). */
describe("error messages that echo client bytes", () => {
  const u = (s: string) => new TextEncoder().encode(s);
  const ff = Uint8Array.of(0xff);
  const cases: [string, Uint8Array[], string][] = [
    ["unknown command", [u("GËT"), u("x")], "ERR unknown command 'GËT', with args beginning with: 'x' "],
    [
      "unknown command, args",
      [u("FOO"), u("clé"), u("日本")],
      "ERR unknown command 'FOO', with args beginning with: 'clé' '日本' ",
    ],
    ["unknown subcommand", [u("OBJECT"), u("ËNCODING"), u("k")], "ERR unknown subcommand 'ËNCODING'. Try OBJECT HELP."],
    ["unsupported option", [u("PEXPIRE"), u("k"), u("1"), u("ÑX")], "ERR Unsupported option ÑX"],
    ["bytes that are not UTF-8", [ff, ff], "ERR unknown command '\uFFFD', with args beginning with: '\uFFFD' "],
  ];

  it.each(cases)("%s: decoded once, in the RPC error and in Batch", async (_name, args, message) => {
    const api = createTestApi();
    api.ok("SET", "k", "v");
    expect((await rpcError(api.commands.execute({ args }))).rawMessage).toBe(message);
    const transport = createRouterTransport((r) => r.service(TransactionService, createTransactionService(api.store)));
    const batch = await createClient(TransactionService, transport).batch({
      commands: [{ kind: { case: "raw", value: { args } } }],
    });
    const kind = batch.results[0]?.kind;
    expect(kind?.case === "error" && kind.value.message).toBe(message);
  });

  it("a text message (already past Latin-1) is left alone", () => {
    expect(toConnectError(new StoreError("ERR", "ERR 日本"), silent).rawMessage).toBe("ERR 日本");
  });
});
