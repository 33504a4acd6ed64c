/**
 * Every RPC family over each protocol (gRPC h2c, gRPC-Web and Connect over HTTP/1.1, all through
 * connect-node), against one real server: success, and each error-code mapping.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultConfig } from "../../server/index.js";
import { command, createServiceClients, type MemorabiliaClient, raw, text, utf8 } from "../../shared/client/index.js";
import { BitFieldOverflow, BitOperation } from "../../shared/gen/memorabilia/v1/bitmaps_service_pb.js";
import { GeoOrder, GeoUnit } from "../../shared/gen/memorabilia/v1/geo_service_pb.js";
import { ListEnd } from "../../shared/gen/memorabilia/v1/lists_service_pb.js";
import { KeyType, TtlStatus } from "../../shared/gen/memorabilia/v1/types_pb.js";
import { type ServerProcess, startServerProcess } from "../support/server-process.js";
import { Code, PROTOCOLS, rpcError } from "./support/protocols.js";

/** The configuration the server process runs with (no flags for limits). */
const DEFAULTS = defaultConfig();
let server: ServerProcess;
beforeAll(async () => {
  server = await startServerProcess(["--heartbeat-ms", "200", "--shutdown-timeout-ms", "1000"]);
});
afterAll(async () => {
  await server?.stop();
});

describe.each(PROTOCOLS)("%s", (name, makeTransport) => {
  let c: MemorabiliaClient;
  // Each protocol works in its own key prefix, so the blocks cannot see each other's keys.
  const p = `${name.split(" ")[0]}:`;
  beforeAll(() => {
    c = createServiceClients(makeTransport(server.url));
  });

  it("KeysService: exists, type, expire/ttl, persist, rename, scan, del", async () => {
    await c.strings.set({ key: `${p}k1`, value: utf8("v") });
    expect((await c.keys.exists({ keys: [`${p}k1`, `${p}nope`] })).count).toBe(1n);
    expect((await c.keys.type({ key: `${p}k1` })).type).toBe(KeyType.STRING);
    expect((await c.keys.expire({ key: `${p}k1`, when: { case: "ttlMs", value: 60_000n } })).applied).toBe(true);
    const { ttl } = await c.keys.ttl({ key: `${p}k1` });
    expect(ttl?.status).toBe(TtlStatus.EXPIRES);
    expect(Number(ttl?.ttlMs)).toBeGreaterThan(50_000);
    expect((await c.keys.persist({ key: `${p}k1` })).persisted).toBe(true);
    expect((await c.keys.ttl({ key: `${p}k1` })).ttl?.status).toBe(TtlStatus.NO_EXPIRY);
    await c.keys.rename({ key: `${p}k1`, newKey: `${p}k2` });
    const seen: string[] = [];
    let cursor = "0";
    do {
      const page = await c.keys.scan({ cursor, match: `${p}*`, count: 10 });
      seen.push(...page.keys.map((k) => k.key));
      cursor = page.cursor;
    } while (cursor !== "0");
    expect(seen).toEqual([`${p}k2`]);
    expect((await c.keys.del({ keys: [`${p}k2`, `${p}nope`] })).deleted).toBe(1n);
    expect((await c.keys.ttl({ key: `${p}k2` })).ttl?.status).toBe(TtlStatus.NO_SUCH_KEY);
  });

  it("StringsService: set/get (binary-safe), incrBy, append, mGet", async () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    await c.strings.set({ key: `${p}bin`, value: all });
    expect((await c.strings.get({ key: `${p}bin` })).value).toEqual(all);
    expect((await c.strings.get({ key: `${p}missing` })).value).toBeUndefined();
    expect((await c.strings.incrBy({ key: `${p}n`, delta: 41n })).value).toBe(41n);
    expect((await c.strings.incrBy({ key: `${p}n`, delta: 1n })).value).toBe(42n);
    expect((await c.strings.append({ key: `${p}s`, value: utf8("ab") })).length).toBe(2n);
    const { values } = await c.strings.mGet({ keys: [`${p}s`, `${p}missing`] });
    expect(values.map((v) => text(v.value))).toEqual(["ab", undefined]);
  });

  it("ListsService, HashesService, SetsService, SortedSetsService", async () => {
    await c.lists.push({ key: `${p}l`, end: ListEnd.RIGHT, elements: [utf8("a"), utf8("b")] });
    expect((await c.lists.lRange({ key: `${p}l`, start: 0n, stop: -1n })).elements.map((e) => text(e))).toEqual([
      "a",
      "b",
    ]);
    await c.hashes.hSet({ key: `${p}h`, fields: [{ field: utf8("f"), value: utf8("v") }] });
    expect((await c.hashes.hGetAll({ key: `${p}h` })).fields.map((f) => [text(f.field), text(f.value)])).toEqual([
      ["f", "v"],
    ]);
    expect((await c.sets.sAdd({ key: `${p}s1`, members: [utf8("x"), utf8("y"), utf8("x")] })).added).toBe(2n);
    expect((await c.sets.sMembers({ key: `${p}s1` })).members.map((m) => text(m)).sort()).toEqual(["x", "y"]);
    await c.sortedSets.zAdd({ key: `${p}z`, members: [{ member: utf8("m"), score: 1.5 }] });
    expect((await c.sortedSets.zScore({ key: `${p}z`, member: utf8("m") })).score).toBe(1.5);
  });

  it("StreamsService, BitmapsService, HyperLogLogService, GeoService, KeysService.Sort, and in a Batch", async () => {
    const { id } = await c.streams.xAdd({ key: `${p}st`, fields: [{ field: utf8("f"), value: utf8("v") }] });
    expect((await c.streams.xRange({ key: `${p}st` })).entries.map((e) => e.id)).toEqual([id]);

    expect((await c.bitmaps.setBit({ key: `${p}bm`, offset: 7n, value: true })).previous).toBe(false);
    expect((await c.bitmaps.getBit({ key: `${p}bm`, offset: 7n })).value).toBe(true);
    expect((await c.bitmaps.bitCount({ key: `${p}bm` })).count).toBe(1n);
    expect((await c.bitmaps.bitPos({ key: `${p}bm`, bit: true })).position).toBe(7n);
    const field = { signed: false, bits: 8, offset: 8n, offsetInFields: false };
    const { results } = await c.bitmaps.bitField({
      key: `${p}bm`,
      operations: [
        { operation: { case: "set", value: { field, value: 255n } } },
        { operation: { case: "incrBy", value: { field, value: 1n, overflow: BitFieldOverflow.FAIL } } },
      ],
    });
    expect(results.map((r) => r.value)).toEqual([0n, undefined]);
    expect((await c.bitmaps.bitFieldRo({ key: `${p}bm`, fields: [field] })).values).toEqual([255n]);
    const op = await c.bitmaps.bitOp({ operation: BitOperation.NOT, destination: `${p}bn`, keys: [`${p}bm`] });
    expect(op.length).toBe(2n);
    await expect(c.bitmaps.bitOp({ destination: `${p}bn`, keys: [`${p}bm`] })).rejects.toMatchObject({
      code: Code.InvalidArgument,
    });

    expect((await c.hyperLogLog.pfAdd({ key: `${p}hll`, elements: ["a", "b", "c"].map(utf8) })).changed).toBe(true);
    await c.hyperLogLog.pfMerge({ destination: `${p}hll2`, sources: [`${p}hll`] });
    expect((await c.hyperLogLog.pfCount({ keys: [`${p}hll2`] })).count).toBe(3n);

    const members = [
      { longitude: 13.361389, latitude: 38.115556, member: utf8("Palermo") },
      { longitude: 15.087269, latitude: 37.502669, member: utf8("Catania") },
    ];
    expect((await c.geo.geoAdd({ key: `${p}geo`, members })).count).toBe(2n);
    const dist = await c.geo.geoDist({
      key: `${p}geo`,
      member1: utf8("Palermo"),
      member2: utf8("Catania"),
      unit: GeoUnit.KILOMETERS,
    });
    expect(dist.distance).toBe(166.2742);
    expect((await c.geo.geoHash({ key: `${p}geo`, members: [utf8("Palermo")] })).hashes[0]?.hash).toBe("sqc8b49rny0");
    const found = await c.geo.geoSearch({
      key: `${p}geo`,
      area: {
        from: { case: "fromCoordinates", value: { longitude: 15, latitude: 37 } },
        by: { case: "radius", value: 200 },
        unit: GeoUnit.KILOMETERS,
        order: GeoOrder.ASC,
      },
      withDistance: true,
    });
    expect(found.results.map((r) => [text(r.member), r.distance])).toEqual([
      ["Catania", 56.4413],
      ["Palermo", 190.4424],
    ]);

    await c.lists.push({ key: `${p}sl`, end: ListEnd.RIGHT, elements: ["3", "1", "2"].map(utf8) });
    expect((await c.keys.sortRo({ key: `${p}sl` })).values.map((v) => text(v.value))).toEqual(["1", "2", "3"]);
    const sorted = await c.keys.sort({ key: `${p}sl`, options: { descending: true }, destination: `${p}sd` });
    expect(sorted.stored).toBe(2n + 1n);

    const { results: batch } = await c.transaction.batch({
      commands: [
        { kind: { case: "setBit", value: { key: `${p}bb`, offset: 0n, value: true } } },
        { kind: { case: "pfCount", value: { keys: [`${p}hll`] } } },
        { kind: { case: "geoPos", value: { key: `${p}geo`, members: [utf8("nope")] } } },
        { kind: { case: "sortRo", value: { key: `${p}sd` } } },
        { kind: { case: "bitCount", value: { key: `${p}geo` } } },
      ],
    });
    expect(batch.map((r) => r.kind.case)).toEqual(["setBit", "pfCount", "geoPos", "sortRo", "error"]);
    expect(batch[1]?.kind.value).toMatchObject({ count: 3n });
    expect(batch[4]?.kind.case === "error" && batch[4].kind.value.code).toBe("WRONGTYPE");
  });

  it("CommandService: execute replies and the command table", async () => {
    const { reply } = await c.command.execute({ args: ["SET", `${p}raw`, "v"].map(utf8) });
    expect(reply?.kind).toEqual({ case: "status", value: "OK" });
    const get = await c.command.execute({ args: ["GET", `${p}raw`].map(utf8) });
    expect(get.reply?.kind.case === "bulk" && text(get.reply.kind.value)).toBe("v");
    const { commands } = await c.command.listCommands({});
    expect(commands.map((x) => x.name)).toEqual(expect.arrayContaining(["GET", "SET", "ZADD"]));
  });

  it.each([
    ["WRONGTYPE -> FAILED_PRECONDITION", "WRONGTYPE", Code.FailedPrecondition],
    ["not an integer -> INVALID_ARGUMENT", "NOT_INTEGER", Code.InvalidArgument],
    ["syntax error -> INVALID_ARGUMENT", "SYNTAX", Code.InvalidArgument],
    ["no such key -> NOT_FOUND", "NO_SUCH_KEY", Code.NotFound],
  ])("maps %s, with the Redis message and the store code", async (_label, storeCode, code) => {
    await c.lists.push({ key: `${p}list`, end: ListEnd.LEFT, elements: [utf8("x")] });
    await c.strings.set({ key: `${p}str`, value: utf8("abc") });
    const calls: Record<string, () => Promise<unknown>> = {
      WRONGTYPE: () => c.strings.get({ key: `${p}list` }),
      NOT_INTEGER: () => c.strings.incrBy({ key: `${p}str`, delta: 1n }),
      SYNTAX: () => c.command.execute({ args: ["SET", `${p}x`, "v", "BOGUS"].map(utf8) }),
      NO_SUCH_KEY: () => c.keys.rename({ key: `${p}absent`, newKey: `${p}other` }),
    };
    const error = await rpcError((calls[storeCode] as () => Promise<unknown>)());
    expect(error.code).toBe(code);
    expect(error.metadata.get("memorabilia-error-code")).toBe(storeCode);
    const prefix = storeCode === "WRONGTYPE" ? "WRONGTYPE" : "ERR";
    expect(error.rawMessage.startsWith(prefix)).toBe(true);
  });

  it("a value over the server's limit -> RESOURCE_EXHAUSTED (SetConfig-free: a key over max-key-bytes)", async () => {
    const error = await rpcError(c.strings.set({ key: `${p}${"k".repeat(70_000)}`, value: utf8("v") }));
    expect(error.code).toBe(Code.ResourceExhausted);
  });

  it("AuthService.WhoAmI: the loopback caller is the anonymous admin", async () => {
    const who = await c.auth.whoAmI({});
    expect(who.authRequired).toBe(false);
    expect(who.name).toBe("default");
  });

  it("TransactionService: Exec (atomic, preconditions) and Batch", async () => {
    const exec = await c.transaction.exec({
      commands: [command("set", { key: `${p}tx`, value: utf8("1") }), command("incrBy", { key: `${p}tx`, delta: 2n })],
    });
    expect(exec.committed).toBe(true);
    expect(exec.results[1]?.kind).toMatchObject({ case: "incrBy", value: { value: 3n } });
    const refused = await c.transaction.exec({
      commands: [command("del", { keys: [`${p}tx`] })],
      preconditions: [{ key: `${p}tx`, check: { case: "missing", value: true } }],
    });
    expect(refused.committed).toBe(false);
    expect(refused.failedPreconditions).toEqual([0]);
    const batch = await c.transaction.batch({
      commands: [command("get", { key: `${p}tx` }), raw("LPUSH", `${p}tx`, "x")],
    });
    expect(batch.results[0]?.kind.case === "get" && text(batch.results[0].kind.value.value)).toBe("3");
    expect(batch.results[1]?.kind).toMatchObject({ case: "error", value: { code: "WRONGTYPE" } });
  });

  it("WatchService.Watch streams events for the pattern (server stream)", async () => {
    const controller = new AbortController();
    const got: string[] = [];
    const stream = c.watch.watch({ pattern: `${p}w:*`, snapshot: true }, { signal: controller.signal });
    const reading = (async () => {
      try {
        for await (const msg of stream) {
          if (msg.kind.case === "snapshot" && msg.kind.value.last)
            await c.strings.set({ key: `${p}w:1`, value: utf8("v") });
          if (msg.kind.case === "events") for (const e of msg.kind.value.events) got.push(`${e.event} ${e.key}`);
          if (got.length > 0) break;
        }
      } finally {
        controller.abort();
      }
    })();
    await reading;
    expect(got).toEqual([`set ${p}w:1`]);
  });

  it("PubSubService: Subscribe (server stream) receives Publish", async () => {
    const controller = new AbortController();
    const stream = c.pubsub.subscribe({ channels: [`${p}chan`] }, { signal: controller.signal });
    const got: string[] = [];
    for await (const msg of stream) {
      if (msg.kind.case === "subscribed") {
        expect((await c.pubsub.publish({ channel: `${p}chan`, message: utf8("hi") })).receivers).toBe(1n);
      }
      if (msg.kind.case === "message") {
        got.push(text(msg.kind.value.message));
        break;
      }
    }
    controller.abort();
    expect(got).toEqual(["hi"]);
  });

  it("ServerService: Info, InfoStream (server stream), GetConfig/SetConfig", async () => {
    const { info } = await c.server.info({});
    expect(info?.keys).toBeGreaterThan(0n);
    const controller = new AbortController();
    let snapshots = 0;
    for await (const msg of c.server.infoStream({ intervalMs: 250 }, { signal: controller.signal })) {
      expect(msg.info?.version).toBe(info?.version);
      if (++snapshots === 2) break;
    }
    controller.abort();
    const { config } = await c.server.getConfig({});
    expect(config?.limits?.maxKeyBytes).toBe(BigInt(DEFAULTS.maxKeyBytes));
    const error = await rpcError(c.server.setConfig({ sweepPattern: "not a cron" }));
    expect(error.code).toBe(Code.InvalidArgument);
  });
});

describe("Pipeline (bidi stream, gRPC over HTTP/2 only)", () => {
  it("replies in order, errors in place", async () => {
    const { pipeline } = await import("../../shared/client/index.js");
    const c = createServiceClients(PROTOCOLS[0]?.[1](server.url) as never);
    const pipe = pipeline(c.transaction);
    const results = await pipe.sendAll([
      command("set", { key: "pipe:a", value: utf8("1") }),
      command("incrBy", { key: "pipe:a", delta: 1n }),
      raw("LPUSH", "pipe:a", "x"),
      command("get", { key: "pipe:a" }),
    ]);
    await pipe.close();
    expect(results.map((r) => r.kind.case)).toEqual(["set", "incrBy", "error", "get"]);
    const last = results[3]?.kind;
    expect(last?.case === "get" && text(last.value.value)).toBe("2");
  });
});

describe("unknown method", () => {
  it.each(PROTOCOLS)("%s: UNIMPLEMENTED, and the server stays up", async (_name, makeTransport) => {
    const transport = makeTransport(server.url);
    const { createClient } = await import("@connectrpc/connect");
    const { StringsService } = await import("../../shared/gen/memorabilia/v1/strings_service_pb.js");
    // A service descriptor whose method the server never registered.
    const fake = { ...StringsService, typeName: "memorabilia.v1.NoSuchService" } as typeof StringsService;
    const fakeMethod = { ...StringsService.method.get, parent: fake };
    const client = createClient(
      { ...fake, method: { ...fake.method, get: fakeMethod }, methods: [fakeMethod] } as never,
      transport,
    ) as {
      get(req: object): Promise<unknown>;
    };
    const error = await rpcError(client.get({ key: "x" }));
    expect(error.code).toBe(Code.Unimplemented);
    // The same transport still serves: a write before and a read after the unknown call.
    const c = createServiceClients(transport);
    const key = `unknown-method:${_name}`;
    await c.strings.set({ key, value: utf8("still") });
    expect(text((await c.strings.get({ key })).value)).toBe("still");
  });
});
