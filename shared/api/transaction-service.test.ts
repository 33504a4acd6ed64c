import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ListEnd } from "../gen/memorabilia/v1/lists_service_pb.js";
import { StringsService } from "../gen/memorabilia/v1/strings_service_pb.js";
import {
  CommandSchema,
  type PipelineRequestSchema,
  type PreconditionSchema,
  TransactionService,
} from "../gen/memorabilia/v1/transaction_service_pb.js";
import { TtlStatus } from "../gen/memorabilia/v1/types_pb.js";
import { createManualClock } from "../store/clock.js";
import { createStore } from "../store/store.js";
import { COMMAND_ROUTES } from "./command-dispatch.js";
import { createTransactionService } from "./transaction-service.js";

type CommandInit = MessageInitShape<typeof CommandSchema>;
type PipelineInit = MessageInitShape<typeof PipelineRequestSchema>;

const T0 = 1_700_000_000_000;
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b));
const raw = (...args: string[]): CommandInit => ({ kind: { case: "raw", value: { args: args.map(enc) } } });
const set = (k: string, v: string): CommandInit => ({ kind: { case: "set", value: { key: k, value: enc(v) } } });
const get = (k: string): CommandInit => ({ kind: { case: "get", value: { key: k } } });

function setup() {
  const clock = createManualClock(T0);
  const store = createStore({ clock });
  const logged: unknown[] = [];
  const transport = createRouterTransport((router) =>
    router.service(TransactionService, createTransactionService(store, { logger: { error: (m) => logged.push(m) } })),
  );
  const value = (k: string) => store.execSync(["GET", k]);
  return { store, clock, logged, value, client: createClient(TransactionService, transport) };
}

async function failure(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error("expected the call to fail");
}

describe("command routes", () => {
  it("map every Command case to the unary RPC taking its request", () => {
    expect(COMMAND_ROUTES.size).toBe(CommandSchema.oneofs[0]?.fields.length);
    const route = COMMAND_ROUTES.get("get");
    expect(route?.service).toBe(StringsService);
    expect(route?.method.name).toBe("Get");
    expect(COMMAND_ROUTES.get("raw")?.method.name).toBe("Execute");
  });
});

describe("TransactionService.Exec", () => {
  it("keeps bytes as bytes: typed and raw commands, UTF-8 keys, values 0x00-0xff (issue 19)", async () => {
    const { client, store } = setup();
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const res = await client.exec({
      commands: [
        { kind: { case: "set", value: { key: "ké", value: all } } },
        { kind: { case: "get", value: { key: "ké" } } },
        { kind: { case: "raw", value: { args: [enc("SET"), Uint8Array.of(0xff), Uint8Array.of(0xff, 0x80)] } } },
      ],
      preconditions: [{ key: "ké", check: { case: "missing", value: true } }],
    });
    expect(res.committed).toBe(true);
    const got = res.results[1]?.kind;
    expect(got?.case === "get" && got.value.value).toEqual(all);
    const bytes = (...a: number[]) => String.fromCharCode(...a);
    expect(await store.exec(["GET", enc("ké")])).toBe(bytes(...all));
    expect(await store.exec(["GET", Uint8Array.of(0xff)])).toBe(bytes(0xff, 0x80));
    expect(await store.exec(["KEYS", "*"])).toEqual(expect.arrayContaining([bytes(0x6b, 0xc3, 0xa9), bytes(0xff)]));
    expect(await store.exec(["DBSIZE"])).toBe(2);
  });

  it("commits typed and raw commands atomically, with typed results", async () => {
    const { client, value, logged } = setup();
    const res = await client.exec({
      commands: [
        set("a", "1"),
        { kind: { case: "incrBy", value: { key: "a", delta: 41n } } },
        get("a"),
        { kind: { case: "push", value: { key: "l", end: ListEnd.RIGHT, elements: [enc("x"), enc("y")] } } },
        raw("LRANGE", "l", "0", "-1"),
        get("missing"),
      ],
    });
    expect(res.committed).toBe(true);
    const kinds = res.results.map((r) => r.kind.case);
    expect(kinds).toEqual(["set", "incrBy", "get", "push", "raw", "get"]);
    const [r0, r1, r2, r3, r4, r5] = res.results.map((r) => r.kind);
    expect(r0?.case === "set" && r0.value.applied).toBe(true);
    expect(r1?.case === "incrBy" && r1.value.value).toBe(42n);
    expect(r2?.case === "get" && dec(r2.value.value)).toBe("42");
    expect(r3?.case === "push" && r3.value.length).toBe(2n);
    const lrange = r4?.case === "raw" ? r4.value.reply?.kind : undefined;
    expect(lrange?.case === "array" && lrange.value.elements.map((e) => e.kind.value)).toEqual([enc("x"), enc("y")]);
    expect(r5?.case === "get" && r5.value.value).toBeUndefined();
    expect(value("a")).toBe("42");
    expect(logged).toEqual([]);
  });

  it("runs RPCs that issue several commands (TTL reads PTTL and PEXPIRETIME; ZRANK with score)", async () => {
    const { client, store } = setup();
    store.execSync(["ZADD", "z", "1", "a", "2", "b"]);
    const res = await client.exec({
      commands: [
        { kind: { case: "set", value: { key: "t", value: enc("v"), expiry: { case: "ttlMs", value: 5000n } } } },
        { kind: { case: "ttl", value: { key: "t" } } },
        { kind: { case: "zRank", value: { key: "z", member: enc("b"), withScore: true } } },
        { kind: { case: "zRank", value: { key: "z", member: enc("nope"), withScore: true } } },
      ],
    });
    const ttl = res.results[1]?.kind;
    expect(ttl?.case === "ttl" && ttl.value.ttl).toMatchObject({
      status: TtlStatus.EXPIRES,
      ttlMs: 5000n,
      atMs: BigInt(T0 + 5000),
    });
    const rank = res.results[2]?.kind;
    expect(rank?.case === "zRank" && [rank.value.rank, rank.value.score]).toEqual([1n, 2]);
    const none = res.results[3]?.kind;
    expect(none?.case === "zRank" && none.value.rank).toBeUndefined();
  });

  it.each<[string, MessageInitShape<typeof PreconditionSchema>, boolean]>([
    ["exists on a present key", { key: "p", check: { case: "exists", value: true } }, true],
    ["exists on a missing key", { key: "nope", check: { case: "exists", value: true } }, false],
    ["missing on a missing key", { key: "nope", check: { case: "missing", value: true } }, true],
    ["missing on a present key", { key: "p", check: { case: "missing", value: true } }, false],
    ["value_equals, equal", { key: "p", check: { case: "valueEquals", value: enc("old") } }, true],
    ["value_equals, different", { key: "p", check: { case: "valueEquals", value: enc("other") } }, false],
    ["value_equals on a missing key", { key: "nope", check: { case: "valueEquals", value: enc("") } }, false],
    ["value_equals on a hash (never equal)", { key: "h", check: { case: "valueEquals", value: enc("x") } }, false],
    ["hash_field equal", { key: "h", check: { case: "hashField", value: { field: enc("f"), value: enc("x") } } }, true],
    [
      "hash_field different",
      { key: "h", check: { case: "hashField", value: { field: enc("f"), value: enc("y") } } },
      false,
    ],
    ["hash_field absent, absent", { key: "h", check: { case: "hashField", value: { field: enc("g") } } }, true],
    ["hash_field absent, present", { key: "h", check: { case: "hashField", value: { field: enc("f") } } }, false],
    [
      "hash_field absent on a missing key",
      { key: "nope", check: { case: "hashField", value: { field: enc("f") } } },
      true,
    ],
    ["hash_field on a string (never)", { key: "p", check: { case: "hashField", value: { field: enc("f") } } }, false],
    ["list_element equal", { key: "l", check: { case: "listElement", value: { index: 1n, value: enc("b") } } }, true],
    [
      "list_element from the tail",
      { key: "l", check: { case: "listElement", value: { index: -1n, value: enc("b") } } },
      true,
    ],
    [
      "list_element different",
      { key: "l", check: { case: "listElement", value: { index: 0n, value: enc("b") } } },
      false,
    ],
    [
      "list_element out of range",
      { key: "l", check: { case: "listElement", value: { index: 5n, value: enc("") } } },
      false,
    ],
    [
      "set_member present",
      { key: "s", check: { case: "setMember", value: { member: enc("m"), present: true } } },
      true,
    ],
    [
      "set_member not present",
      { key: "s", check: { case: "setMember", value: { member: enc("n"), present: true } } },
      false,
    ],
    [
      "set_member absent",
      { key: "s", check: { case: "setMember", value: { member: enc("n"), present: false } } },
      true,
    ],
    ["set_member absent, present", { key: "s", check: { case: "setMember", value: { member: enc("m") } } }, false],
    ["set_member on a zset (never)", { key: "z", check: { case: "setMember", value: { member: enc("n") } } }, false],
    [
      "sorted_set_member score",
      { key: "z", check: { case: "sortedSetMember", value: { member: enc("m"), score: 1.5 } } },
      true,
    ],
    [
      "sorted_set_member inf",
      { key: "z", check: { case: "sortedSetMember", value: { member: enc("i"), score: Number.POSITIVE_INFINITY } } },
      true,
    ],
    [
      "sorted_set_member other score",
      { key: "z", check: { case: "sortedSetMember", value: { member: enc("m"), score: 2 } } },
      false,
    ],
    ["sorted_set_member absent", { key: "z", check: { case: "sortedSetMember", value: { member: enc("n") } } }, true],
    [
      "sorted_set_member absent, present",
      { key: "z", check: { case: "sortedSetMember", value: { member: enc("m") } } },
      false,
    ],
  ])("precondition %s", async (_, precondition, holds) => {
    const { client, store, value } = setup();
    store.execSync(["SET", "p", "old"]);
    store.execSync(["HSET", "h", "f", "x"]);
    store.execSync(["RPUSH", "l", "a", "b"]);
    store.execSync(["SADD", "s", "m"]);
    store.execSync(["ZADD", "z", "1.5", "m", "+inf", "i"]);
    const res = await client.exec({
      commands: [set("p", "new")],
      preconditions: [precondition],
    });
    expect(res.committed).toBe(holds);
    expect(res.results).toHaveLength(holds ? 1 : 0);
    expect(res.failedPreconditions).toEqual(holds ? [] : [0]);
    expect(value("p")).toBe(holds ? "new" : "old");
  });

  it("reports every failed precondition, and runs nothing", async () => {
    const { client, value, store } = setup();
    const before = store.stats().dirty;
    const res = await client.exec({
      commands: [set("x", "1")],
      preconditions: [
        { key: "x", check: { case: "exists", value: true } },
        { key: "y", check: { case: "missing", value: true } },
        { key: "z", check: { case: "valueEquals", value: enc("1") } },
      ],
    });
    expect(res).toMatchObject({ committed: false, failedPreconditions: [0, 2] });
    expect(value("x")).toBeNull();
    expect(store.stats().dirty).toBe(before);
  });

  // "pé": the watch must hold the key's bytes, not their UTF-8 encoding again (issue 19).
  it.each(["p", "pé"])(
    "a write landing between the check and the commit makes Exec check again (WATCH), so it never commits on stale checks (key %s)",
    async (p) => {
      const { client, store, value } = setup();
      store.execSync(["SET", p, "old"]);
      const transaction = store.transactionBytes.bind(store);
      let calls = 0;
      // A concurrent client writes p after the precondition was read, before the commit.
      store.transactionBytes = (commands, watch, options) => {
        if (calls++ === 0) store.execSync(["SET", p, "changed"]);
        return transaction(commands, watch, options);
      };
      const res = await client.exec({
        commands: [set("q", "written")],
        preconditions: [{ key: p, check: { case: "valueEquals", value: enc("old") } }],
      });
      expect(calls).toBe(1); // the second attempt failed its check before reaching the transaction
      expect(res).toMatchObject({ committed: false, failedPreconditions: [0] });
      expect(value("q")).toBeNull();
    },
  );

  it("a conflicting write on the first attempt only: the second attempt commits", async () => {
    const { client, store, value } = setup();
    store.execSync(["SET", "p", "old"]);
    const transaction = store.transactionBytes.bind(store);
    let calls = 0;
    store.transactionBytes = (commands, watch, options) => {
      if (calls++ === 0) store.execSync(["SET", "p", "old"]); // same value, still a modification
      return transaction(commands, watch, options);
    };
    const res = await client.exec({
      commands: [set("q", "written")],
      preconditions: [{ key: "p", check: { case: "valueEquals", value: enc("old") } }],
    });
    expect(calls).toBe(2);
    expect(res.committed).toBe(true);
    expect(value("q")).toBe("written");
  });

  it("an unknown command aborts the whole transaction with EXECABORT (INVALID_ARGUMENT), nothing applied", async () => {
    const { client, value } = setup();
    const e = await failure(client.exec({ commands: [set("a", "1"), raw("NOSUCH", "x")] }));
    expect(e.code).toBe(Code.InvalidArgument);
    expect(e.rawMessage).toMatch(
      /^EXECABORT Transaction discarded because of previous errors\. \(commands\[1\]: ERR unknown command 'NOSUCH'/,
    );
    expect(e.metadata.get("memorabilia-error-code")).toBe("EXEC_ABORT");
    expect(e.metadata.get("memorabilia-command-index")).toBe("1");
    expect(value("a")).toBeNull();
  });

  it("a runtime error rolls everything back and fails with that error, naming the command", async () => {
    const { client, value, store } = setup();
    store.execSync(["SET", "a", "orig"]);
    const e = await failure(
      client.exec({
        commands: [
          set("a", "changed"),
          set("b", "new"),
          { kind: { case: "push", value: { key: "a", end: ListEnd.LEFT, elements: [enc("x")] } } },
        ],
      }),
    );
    expect(e.code).toBe(Code.FailedPrecondition);
    expect(e.rawMessage).toBe(
      "WRONGTYPE Operation against a key holding the wrong kind of value (commands[2]: the transaction was rolled back)",
    );
    expect(e.metadata.get("memorabilia-error-code")).toBe("WRONGTYPE");
    expect(e.metadata.get("memorabilia-command-index")).toBe("2");
    expect(value("a")).toBe("orig");
    expect(value("b")).toBeNull();
  });

  it("an invalid typed request fails before anything runs, naming the command", async () => {
    const { client, value } = setup();
    const e = await failure(
      client.exec({
        commands: [
          set("a", "1"),
          { kind: { case: "set", value: { key: "b", value: enc("v"), expiry: { case: "keepTtl", value: false } } } },
        ],
      }),
    );
    expect(e.code).toBe(Code.InvalidArgument);
    expect(e.rawMessage).toBe("commands[1]: keep_ttl must be true when set");
    expect(value("a")).toBeNull();
  });

  it.each<[string, unknown]>([
    ["a command without kind", { commands: [{}] }],
    ["a precondition without check", { commands: [], preconditions: [{ key: "k" }] }],
    ["exists=false", { commands: [], preconditions: [{ key: "k", check: { case: "exists", value: false } }] }],
  ])("rejects %s with INVALID_ARGUMENT", async (_, req) => {
    const { client } = setup();
    expect((await failure(client.exec(req as never))).code).toBe(Code.InvalidArgument);
  });

  it("an empty transaction commits with no results", async () => {
    const { client } = setup();
    expect(await client.exec({})).toMatchObject({ committed: true, results: [] });
  });
});

describe("TransactionService.Batch", () => {
  it("runs each command independently: results and errors side by side", async () => {
    const { client, value } = setup();
    const res = await client.batch({
      commands: [
        set("s", "v"),
        { kind: { case: "push", value: { key: "s", end: ListEnd.LEFT, elements: [enc("x")] } } },
        get("s"),
        raw("INCR", "s"),
        {},
        set("t", "after"),
      ],
    });
    const k = res.results.map((r) => r.kind);
    expect(k.map((r) => r.case)).toEqual(["set", "error", "get", "error", "error", "set"]);
    expect(k[1]?.value).toMatchObject({
      status: Code.FailedPrecondition,
      code: "WRONGTYPE",
      message: "WRONGTYPE Operation against a key holding the wrong kind of value",
    });
    expect(k[2]?.case === "get" && dec(k[2].value.value)).toBe("v");
    expect(k[3]?.value).toMatchObject({ status: Code.InvalidArgument, code: "NOT_INTEGER" });
    expect(k[4]?.value).toMatchObject({ status: Code.InvalidArgument, code: "", message: "command: kind is required" });
    expect(value("t")).toBe("after");
  });
});

describe("TransactionService.Pipeline", () => {
  it("answers every command in order with its id, errors included", async () => {
    const { client, value } = setup();
    async function* requests(): AsyncGenerator<PipelineInit> {
      for (let i = 0; i < 100; i++) {
        const command: CommandInit =
          i === 50 ? raw("LPUSH", "n") : { kind: { case: "incrBy", value: { key: "n", delta: 1n } } };
        yield { id: BigInt(1000 + i), command };
      }
    }
    const ids: bigint[] = [];
    const values: (bigint | string)[] = [];
    for await (const res of client.pipeline(requests())) {
      ids.push(res.id);
      const k = res.result?.kind;
      values.push(k?.case === "incrBy" ? k.value.value : k?.case === "error" ? k.value.code : "?");
    }
    expect(ids).toEqual(Array.from({ length: 100 }, (_, i) => BigInt(1000 + i)));
    expect(values[49]).toBe(50n);
    expect(values[50]).toBe("WRONG_ARITY");
    expect(values[99]).toBe(99n);
    expect(value("n")).toBe("99");
  });
});
