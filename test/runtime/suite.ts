/**
 * The one behavioural suite of the runtime matrix, run unchanged against every host: unary calls
 * of each data type over Connect and gRPC-Web, errors with their codes, TTL expiry, a Watch
 * stream, and (edge hosts) auth, limits and CORS.
 */
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { expect, it } from "vitest";
import { AuthService, Role } from "../../shared/gen/memorabilia/v1/auth_service_pb.js";
import { BitmapsService } from "../../shared/gen/memorabilia/v1/bitmaps_service_pb.js";
import { CommandService } from "../../shared/gen/memorabilia/v1/command_service_pb.js";
import { GeoService, GeoUnit } from "../../shared/gen/memorabilia/v1/geo_service_pb.js";
import { HashesService } from "../../shared/gen/memorabilia/v1/hashes_service_pb.js";
import { HyperLogLogService } from "../../shared/gen/memorabilia/v1/hyperloglog_service_pb.js";
import { KeysService } from "../../shared/gen/memorabilia/v1/keys_service_pb.js";
import { ListEnd, ListsService } from "../../shared/gen/memorabilia/v1/lists_service_pb.js";
import { ServerService } from "../../shared/gen/memorabilia/v1/server_service_pb.js";
import { SetsService } from "../../shared/gen/memorabilia/v1/sets_service_pb.js";
import { SortedSetsService } from "../../shared/gen/memorabilia/v1/sorted_sets_service_pb.js";
import { StringsService } from "../../shared/gen/memorabilia/v1/strings_service_pb.js";
import { KeyType, TtlStatus } from "../../shared/gen/memorabilia/v1/types_pb.js";
import { WatchService } from "../../shared/gen/memorabilia/v1/watch_service_pb.js";
import { CORS_ORIGIN, EDGE_MAX_REQUEST_BYTES, type Host, type Protocol, TOKENS } from "./hosts.js";

const enc = new TextEncoder();
const dec = new TextDecoder();
const b = (text: string) => enc.encode(text);
const s = (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : dec.decode(bytes));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function failure(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error("expected the call to fail, but it succeeded");
}

/** Clients of every service on one transport. */
function clients(host: Host, protocol: Protocol, token: string | null = TOKENS.admin) {
  const t = host.transport(protocol, token ?? undefined);
  return {
    keys: createClient(KeysService, t),
    strings: createClient(StringsService, t),
    lists: createClient(ListsService, t),
    hashes: createClient(HashesService, t),
    sets: createClient(SetsService, t),
    zsets: createClient(SortedSetsService, t),
    bitmaps: createClient(BitmapsService, t),
    hll: createClient(HyperLogLogService, t),
    geo: createClient(GeoService, t),
    commands: createClient(CommandService, t),
    auth: createClient(AuthService, t),
  };
}

/**
 * Registers the suite's tests; `host()` returns the started host (called inside each test).
 * With `edge`, also the tests of what the edge handler configures itself (auth, limits, CORS);
 * the Node server's own are tested by its integration suites.
 */
export function behaviouralSuite(host: () => Host, { edge }: { edge: boolean }): void {
  const protocols: Protocol[] = ["connect", "grpc-web"];

  it.each(protocols)("strings: SET, GET, INCRBY, APPEND, MGET (%s)", async (protocol) => {
    const c = clients(host(), protocol);
    const k = `rt:${protocol}:str`;
    expect((await c.strings.set({ key: k, value: b("hello") })).applied).toBe(true);
    expect(s((await c.strings.get({ key: k })).value)).toBe("hello");
    expect((await c.strings.append({ key: k, value: b(" world") })).length).toBe(11n);
    expect((await c.strings.incrBy({ key: `${k}:n`, delta: 41n })).value).toBe(41n);
    expect((await c.strings.incrBy({ key: `${k}:n`, delta: 1n })).value).toBe(42n);
    const m = await c.strings.mGet({ keys: [k, `${k}:missing`] });
    expect(m.values.map((v) => s(v.value))).toEqual(["hello world", undefined]);
    expect((await c.strings.get({ key: `${k}:missing` })).value).toBeUndefined();
  });

  it.each(protocols)("bitmaps, HyperLogLog, geo, SORT (%s)", async (protocol) => {
    const c = clients(host(), protocol);
    const p = `rt:${protocol}`;
    expect((await c.bitmaps.setBit({ key: `${p}:bm`, offset: 9n, value: true })).previous).toBe(false);
    expect((await c.bitmaps.bitCount({ key: `${p}:bm` })).count).toBe(1n);
    expect((await c.hll.pfAdd({ key: `${p}:hll`, elements: [b("a"), b("b")] })).changed).toBe(true);
    expect((await c.hll.pfCount({ keys: [`${p}:hll`] })).count).toBe(2n);
    await c.geo.geoAdd({ key: `${p}:geo`, members: [{ longitude: 13.361389, latitude: 38.115556, member: b("P") }] });
    const found = await c.geo.geoSearch({
      key: `${p}:geo`,
      area: { from: { case: "fromMember", value: b("P") }, by: { case: "radius", value: 1 }, unit: GeoUnit.KILOMETERS },
    });
    expect(found.results.map((r) => s(r.member))).toEqual(["P"]);
    await c.lists.push({ key: `${p}:sort`, end: ListEnd.RIGHT, elements: [b("2"), b("10"), b("1")] });
    expect((await c.keys.sortRo({ key: `${p}:sort` })).values.map((v) => s(v.value))).toEqual(["1", "2", "10"]);
  });

  it.each(protocols)("lists, hashes, sets, sorted sets (%s)", async (protocol) => {
    const c = clients(host(), protocol);
    const p = `rt:${protocol}`;
    expect((await c.lists.push({ key: `${p}:l`, end: ListEnd.RIGHT, elements: [b("a"), b("b"), b("c")] })).length).toBe(
      3n,
    );
    expect((await c.lists.lRange({ key: `${p}:l`, start: 0n, stop: -1n })).elements.map(s)).toEqual(["a", "b", "c"]);
    expect((await c.lists.pop({ key: `${p}:l`, end: ListEnd.LEFT })).elements.map(s)).toEqual(["a"]);

    expect((await c.hashes.hSet({ key: `${p}:h`, fields: [{ field: b("f"), value: b("v") }] })).added).toBe(1n);
    expect(s((await c.hashes.hGet({ key: `${p}:h`, field: b("f") })).value)).toBe("v");
    const all = await c.hashes.hGetAll({ key: `${p}:h` });
    expect(all.fields.map((f) => [s(f.field), s(f.value)])).toEqual([["f", "v"]]);

    expect((await c.sets.sAdd({ key: `${p}:s`, members: [b("x"), b("y"), b("x")] })).added).toBe(2n);
    expect((await c.sets.sMembers({ key: `${p}:s` })).members.map(s).sort()).toEqual(["x", "y"]);
    expect((await c.sets.sIsMember({ key: `${p}:s`, member: b("y") })).isMember).toBe(true);

    const members = [
      { member: b("one"), score: 1 },
      { member: b("two"), score: 2 },
      { member: b("half"), score: 0.5 },
    ];
    expect((await c.zsets.zAdd({ key: `${p}:z`, members })).count).toBe(3n);
    const range = await c.zsets.zRange({
      key: `${p}:z`,
      range: { case: "byIndex", value: { start: 0n, stop: -1n } },
      withScores: true,
    });
    expect(range.members.map(s)).toEqual(["half", "one", "two"]);
    expect(range.scores).toEqual([0.5, 1, 2]);
    expect((await c.zsets.zScore({ key: `${p}:z`, member: b("two") })).score).toBe(2);

    const types = await Promise.all(["l", "h", "s", "z", "none"].map((t) => c.keys.type({ key: `${p}:${t}` })));
    expect(types.map((t) => t.type)).toEqual([KeyType.LIST, KeyType.HASH, KeyType.SET, KeyType.ZSET, KeyType.NONE]);
    expect((await c.keys.del({ keys: [`${p}:l`, `${p}:h`, `${p}:nope`] })).deleted).toBe(2n);
    expect((await c.keys.exists({ keys: [`${p}:l`, `${p}:s`] })).count).toBe(1n);
  });

  it("CommandService.Execute runs a command line", async () => {
    const c = clients(host(), "connect");
    const reply = await c.commands.execute({ args: [b("ECHO"), b("hi")] });
    expect(reply.reply?.kind.case).toBe("bulk");
    expect(s(reply.reply?.kind.value as Uint8Array)).toBe("hi");
  });

  it.each(protocols)("errors carry their codes and Redis's wording (%s)", async (protocol) => {
    const c = clients(host(), protocol);
    const k = `rt:${protocol}:err`;
    await c.lists.push({ key: k, end: ListEnd.RIGHT, elements: [b("x")] });
    const wrongType = await failure(c.strings.get({ key: k }));
    expect(wrongType.code).toBe(Code.FailedPrecondition);
    expect(wrongType.rawMessage).toMatch(/^WRONGTYPE Operation against a key holding the wrong kind of value/);
    await c.strings.set({ key: `${k}:s`, value: b("abc") });
    const notInt = await failure(c.strings.incrBy({ key: `${k}:s`, delta: 1n }));
    expect(notInt.code).toBe(Code.InvalidArgument);
    expect(notInt.rawMessage).toBe("ERR value is not an integer or out of range");
    const unknown = await failure(c.commands.execute({ args: [b("NOSUCHCOMMAND")] }));
    expect(unknown.code).toBe(Code.InvalidArgument);
    expect(unknown.rawMessage).toMatch(/^ERR unknown command 'NOSUCHCOMMAND'/);
  });

  it("TTL: a key expires after its time to live", async () => {
    const c = clients(host(), "connect");
    const k = "rt:ttl";
    // A TTL long enough that a slow host cannot expire the key during the checks (a 300 ms TTL raced
    // them under load), then a short one, and reads until the key is gone (bounded).
    await c.strings.set({ key: k, value: b("v"), expiry: { case: "ttlMs", value: 60_000n } });
    const ttl = (await c.keys.ttl({ key: k })).ttl;
    expect(ttl?.status).toBe(TtlStatus.EXPIRES);
    expect(Number(ttl?.ttlMs)).toBeGreaterThan(0);
    expect(Number(ttl?.ttlMs)).toBeLessThanOrEqual(60_000);
    expect(s((await c.strings.get({ key: k })).value)).toBe("v");
    expect((await c.keys.expire({ key: k, when: { case: "ttlMs", value: 50n } })).applied).toBe(true);
    const deadline = Date.now() + 10_000;
    while ((await c.strings.get({ key: k })).value !== undefined && Date.now() < deadline) await sleep(25);
    expect((await c.strings.get({ key: k })).value).toBeUndefined();
    expect((await c.keys.exists({ keys: [k] })).count).toBe(0n);
    expect((await c.keys.ttl({ key: k })).ttl?.status).toBe(TtlStatus.NO_SUCH_KEY);
  });

  it.for(protocols)("Watch streams keyspace events after its snapshot, expiry included (%s)", async (protocol) => {
    expect(host().serves(WatchService.typeName)).toBe(true);
    const c = clients(host(), protocol);
    const watchClient = createClient(WatchService, host().transport(protocol, TOKENS.admin));
    const p = `rt:w:${protocol}`;
    await c.strings.set({ key: `${p}:before`, value: b("x") });
    const abort = new AbortController();
    const stream = watchClient.watch(
      { pattern: `${p}:*`, snapshot: true },
      { signal: abort.signal, timeoutMs: 10_000 },
    );
    const seen: string[] = [];
    let snapshotKeys: string[] = [];
    try {
      for await (const msg of stream) {
        if (msg.kind.case === "snapshot") {
          snapshotKeys = [...snapshotKeys, ...msg.kind.value.keys.map((k) => k.key)];
          if (msg.kind.value.last) {
            // Live from here: a write, a delete, and a key that expires (lazily, on access).
            await c.strings.set({ key: `${p}:a`, value: b("1") });
            await c.keys.del({ keys: [`${p}:a`] });
            await c.strings.set({ key: `${p}:t`, value: b("1"), expiry: { case: "ttlMs", value: 100n } });
            await sleep(200);
            await c.strings.get({ key: `${p}:t` });
          }
        } else if (msg.kind.case === "events") {
          seen.push(...msg.kind.value.events.map((e) => `${e.event} ${e.key}`));
          if (seen.includes(`expired ${p}:t`)) break;
        }
      }
    } finally {
      abort.abort();
    }
    expect(snapshotKeys).toEqual([`${p}:before`]);
    // SET with PX notifies `set` then `expire`, as Redis does.
    expect(seen).toEqual([`set ${p}:a`, `del ${p}:a`, `set ${p}:t`, `expire ${p}:t`, `expired ${p}:t`]);
  });

  it("active expiry removes keys nobody reads (croner, or Durable Object alarms on workerd)", async () => {
    expect(host().serves(ServerService.typeName)).toBe(true);
    const c = clients(host(), "connect");
    const server = createClient(ServerService, host().transport("connect", TOKENS.admin));
    const expiredBefore = (await server.info({})).info?.expiredKeys ?? 0n;
    const keys = Array.from({ length: 20 }, (_, i) => `rt:sweep:${i}`);
    for (const key of keys) await c.strings.set({ key, value: b("v"), expiry: { case: "ttlMs", value: 100n } });
    // Never touch the keys again: only the active sweep can remove them (it runs about every second).
    const deadline = Date.now() + 5_000;
    let expired = 0n;
    while (Date.now() < deadline) {
      await sleep(250);
      expired = ((await server.info({})).info?.expiredKeys ?? 0n) - expiredBefore;
      if (expired >= 20n) break;
    }
    expect(expired).toBeGreaterThanOrEqual(20n);
  });

  if (!edge) return;

  it("edge: tokens and roles (UNAUTHENTICATED vs PERMISSION_DENIED)", async () => {
    const h = host();
    const none = clients(h, "connect", null);
    expect((await failure(none.strings.get({ key: "rt:auth" }))).code).toBe(Code.Unauthenticated);
    const wrong = clients(h, "grpc-web", "not-a-token");
    expect((await failure(wrong.strings.get({ key: "rt:auth" }))).code).toBe(Code.Unauthenticated);

    const ro = clients(h, "connect", TOKENS.readonly);
    expect((await ro.strings.get({ key: "rt:auth" })).value).toBeUndefined();
    expect((await failure(ro.strings.set({ key: "rt:auth", value: b("x") }))).code).toBe(Code.PermissionDenied);
    expect(s((await ro.commands.execute({ args: [b("ECHO"), b("ok")] })).reply?.kind.value as Uint8Array)).toBe("ok");
    expect((await failure(ro.commands.execute({ args: [b("set"), b("rt:auth"), b("x")] }))).code).toBe(
      Code.PermissionDenied,
    );
    const me = await ro.auth.whoAmI({});
    expect([me.authRequired, me.name, me.role]).toEqual([true, "viewer", Role.READONLY]);

    const rw = clients(h, "grpc-web", TOKENS.readwrite);
    expect((await rw.strings.set({ key: "rt:auth", value: b("x") })).applied).toBe(true);
    expect((await failure(rw.keys.flushAll({}))).code).toBe(Code.PermissionDenied);
  });

  it("edge: request size limit answers RESOURCE_EXHAUSTED", async () => {
    const c = clients(host(), "connect");
    const big = new Uint8Array(EDGE_MAX_REQUEST_BYTES + 1).fill(97);
    expect((await failure(c.strings.set({ key: "rt:big", value: big }))).code).toBe(Code.ResourceExhausted);
    expect((await c.strings.set({ key: "rt:small", value: big.subarray(0, 1024) })).applied).toBe(true);
  });

  it("edge: CORS allows the listed origin only", async () => {
    const h = host();
    const preflight = (origin: string) =>
      fetch(`${h.url}/memorabilia.v1.StringsService/Get`, {
        method: "OPTIONS",
        headers: {
          Origin: origin,
          "Access-Control-Request-Method": "POST",
          "Access-Control-Request-Headers": "content-type,authorization",
        },
      });
    const ok = await preflight(CORS_ORIGIN);
    expect(ok.headers.get("access-control-allow-origin")).toBe(CORS_ORIGIN);
    expect(ok.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");
    const other = await preflight("http://evil.test");
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });
}
