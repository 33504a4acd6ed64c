/**
 * ioredis against the RESP port of the bundled server: every command family, pipelining,
 * transactions (MULTI/EXEC/WATCH), Pub/Sub, keyspace notifications and RESP3.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type RespServerProcess, startRespServerProcess } from "../support/resp-server.js";

let server: RespServerProcess;
const clients: Redis[] = [];

import type { RedisOptions } from "ioredis";

type Options = RedisOptions;

/** A client; RESP2 unless `options.protocol` says otherwise (ioredis 6 defaults to RESP3). */
function connectWith(options: Options = {}): Redis {
  const r = new Redis({ host: "127.0.0.1", port: server.respPort, maxRetriesPerRequest: 0, protocol: 2, ...options });
  clients.push(r);
  return r;
}

beforeAll(async () => {
  server = await startRespServerProcess();
});

afterAll(async () => {
  for (const c of clients) c.disconnect();
  await server?.stop();
});

describe.each([2, 3] as const)("ioredis over the RESP port, RESP%i", (protocol) => {
  const connect = (options: Options = {}): Redis => connectWith({ protocol, ...options });
  beforeEach(async () => {
    await connect().flushall();
  });

  it("strings and keys", async () => {
    const r = connect();
    expect(await r.ping()).toBe("PONG");
    expect(await r.set("s:1", "v1")).toBe("OK");
    expect(await r.get("s:1")).toBe("v1");
    expect(await r.get("s:missing")).toBeNull();
    expect(await r.incr("s:n")).toBe(1);
    expect(await r.incrby("s:n", 41)).toBe(42);
    expect(await r.incrbyfloat("s:f", "1.5")).toBe("1.5");
    expect(await r.append("s:1", "x")).toBe(3);
    expect(await r.mset("s:a", "1", "s:b", "2")).toBe("OK");
    expect(await r.mget("s:a", "s:b", "s:none")).toEqual(["1", "2", null]);
    expect(await r.set("s:ttl", "v", "PX", 60_000)).toBe("OK");
    const pttl = await r.pttl("s:ttl");
    expect(pttl).toBeGreaterThan(50_000);
    expect(await r.exists("s:1", "s:none")).toBe(1);
    expect(await r.type("s:1")).toBe("string");
    expect(await r.del("s:a", "s:b")).toBe(2);
    expect(await r.rename("s:1", "s:2")).toBe("OK");
    expect(await r.get("s:2")).toBe("v1x");
    const binary = Buffer.from([0, 1, 2, 255, 13, 10, 0]);
    await r.set("s:bin", binary);
    expect(await r.getBuffer("s:bin")).toEqual(binary);
    const big = "x".repeat(1_000_000);
    await r.set("s:big", big);
    expect(await r.strlen("s:big")).toBe(1_000_000);
    expect(await r.get("s:big")).toBe(big);
    const [cursor, keys] = await r.scan("0", "MATCH", "s:*", "COUNT", 1000);
    expect(cursor).toBe("0");
    expect(keys.sort()).toContain("s:2");
  });

  it("lists, hashes, sets, sorted sets", async () => {
    const r = connect();
    expect(await r.rpush("l", "a", "b", "c")).toBe(3);
    expect(await r.lpush("l", "z")).toBe(4);
    expect(await r.lrange("l", 0, -1)).toEqual(["z", "a", "b", "c"]);
    expect(await r.lpop("l")).toBe("z");
    expect(await r.llen("l")).toBe(3);
    expect(await r.hset("h", { a: "1", b: "2" })).toBe(2);
    expect(await r.hgetall("h")).toEqual({ a: "1", b: "2" });
    expect(await r.hincrby("h", "a", 5)).toBe(6);
    expect(await r.hkeys("h")).toEqual(["a", "b"]);
    expect(await r.sadd("set", "x", "y", "x")).toBe(2);
    expect((await r.smembers("set")).sort()).toEqual(["x", "y"]);
    expect(await r.sismember("set", "y")).toBe(1);
    expect(await r.zadd("z", 1, "one", 2.5, "two")).toBe(2);
    expect(await r.zscore("z", "two")).toBe("2.5");
    expect(await r.zrange("z", "0", "-1", "WITHSCORES")).toEqual(["one", "1", "two", "2.5"]);
    expect(await r.zincrby("z", 1, "one")).toBe("2");
  });

  it("errors are Redis's, typed as ReplyError", async () => {
    const r = connect();
    await r.set("e:str", "v");
    await expect(r.lpush("e:str", "x")).rejects.toThrow(
      "WRONGTYPE Operation against a key holding the wrong kind of value",
    );
    await expect(r.call("NOSUCH", "a", "b")).rejects.toThrow(
      "ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' ",
    );
    await expect(r.call("GET")).rejects.toThrow("ERR wrong number of arguments for 'get' command");
    await expect(r.incr("e:str")).rejects.toThrow("ERR value is not an integer or out of range");
    await expect(r.call("SELECT", "1")).rejects.toThrow("ERR DB index is out of range");
    expect(await r.select(0)).toBe("OK");
  });

  it("server commands: INFO, DBSIZE, CLIENT, CONFIG, COMMAND, ECHO", async () => {
    const r = connect({ connectionName: "tester" });
    await r.set("srv:k", "v");
    const info = await r.info();
    expect(info).toMatch(/# Server\r\nredis_version:/);
    expect(info).toMatch(/connected_clients:\d+/);
    expect(info).toMatch(/# Keyspace\r\ndb0:keys=\d+,expires=\d+/);
    expect(await r.info("keyspace")).not.toMatch(/# Server/);
    expect(await r.dbsize()).toBeGreaterThan(0);
    expect(await r.client("GETNAME")).toBe("tester");
    const id = (await r.client("ID")) as number;
    expect(await r.client("LIST")).toMatch(new RegExp(`id=${id} .*name=tester`));
    expect(await r.config("GET", "maxclients")).toEqual(["maxclients", "10000"]);
    expect(await r.config("SET", "timeout", "0")).toBe("OK");
    await expect(r.config("SET", "bind", "0.0.0.0")).rejects.toThrow("can't set immutable config");
    expect(await r.command("COUNT")).toBeGreaterThan(100);
    expect(await r.echo("hi")).toBe("hi");
  });

  it("pipelines keep order", async () => {
    const r = connect();
    const p = r.pipeline();
    for (let i = 0; i < 1000; i++) p.set(`p:${i}`, String(i));
    for (let i = 0; i < 1000; i++) p.get(`p:${i}`);
    const results = (await p.exec()) as [Error | null, unknown][];
    expect(results.slice(1000).map(([, v]) => v)).toEqual(Array.from({ length: 1000 }, (_, i) => String(i)));
  });

  it("MULTI/EXEC, DISCARD and WATCH", async () => {
    const r = connect();
    const other = connect();
    const res = await r.multi().set("t:a", "1").incr("t:a").get("t:a").exec();
    expect(res).toEqual([
      [null, "OK"],
      [null, 2],
      [null, "2"],
    ]);
    // A runtime error (WRONGTYPE) stays in its place; the other commands apply, as Redis does.
    await r.rpush("t:l", "x");
    const mixed = (await r.multi().set("t:c", "1").incr("t:l").incr("t:c").exec()) as [Error | null, unknown][];
    expect(mixed[0]).toEqual([null, "OK"]);
    expect(mixed[1]?.[0]?.message).toMatch(/^WRONGTYPE Operation against a key holding the wrong kind of value/);
    expect(mixed[2]).toEqual([null, 2]);
    expect(await r.get("t:c")).toBe("2");
    expect(await r.lrange("t:l", 0, -1)).toEqual(["x"]);
    // A queueing error aborts the whole transaction.
    await expect(r.multi().set("t:b", "1").call("NOSUCH").exec()).rejects.toThrow("EXECABORT");
    expect(await r.get("t:b")).toBeNull();
    // WATCH: a change by another client makes EXEC answer null.
    await r.watch("t:w");
    await other.set("t:w", "changed");
    expect(await r.multi().set("t:w", "mine").exec()).toBeNull();
    expect(await r.get("t:w")).toBe("changed");
    // Without a change it applies.
    await r.watch("t:w");
    expect(await r.multi().set("t:w", "mine").exec()).toEqual([[null, "OK"]]);
    expect(await r.get("t:w")).toBe("mine");
    await expect(r.exec()).rejects.toThrow("ERR EXEC without MULTI");
    await expect(r.discard()).rejects.toThrow("ERR DISCARD without MULTI");
  });

  it("Pub/Sub: SUBSCRIBE, PSUBSCRIBE, PUBLISH, UNSUBSCRIBE", async () => {
    const sub = connect();
    const pub = connect();
    const got: string[] = [];
    sub.on("message", (channel, message) => got.push(`${channel}:${message}`));
    sub.on("pmessage", (pattern, channel, message) => got.push(`${pattern}|${channel}:${message}`));
    expect(await sub.subscribe("news", "sport")).toBe(2);
    expect(await sub.psubscribe("n*")).toBe(3);
    // RESP3 allows data commands while subscribed (in RESP2 ioredis refuses them itself; the
    // server's refusal is in resp-protocol.test.ts).
    if (protocol === 3) expect(await sub.call("GET", "x")).toBeNull();
    expect(await pub.publish("news", "hello")).toBe(2);
    expect(await pub.publish("sport", "goal")).toBe(1);
    expect(await pub.pubsub("NUMSUB", "news")).toEqual(["news", 1]);
    await expect.poll(() => got.length).toBe(3);
    expect(got.sort()).toEqual(["n*|news:hello", "news:hello", "sport:goal"]);
    // (ioredis resolves an argument-less UNSUBSCRIBE only at count 0, which the pattern prevents.)
    expect(await sub.unsubscribe("news", "sport")).toBe(1);
    expect(await sub.punsubscribe("n*")).toBe(0);
    expect(await sub.get("x")).toBeNull(); // out of subscribe mode again
  });

  it("keyspace notifications follow notify-keyspace-events", async () => {
    const admin = connect();
    const sub = connect();
    const events: string[] = [];
    sub.on("pmessage", (_p, channel, message) => events.push(`${channel} ${message}`));
    await sub.psubscribe("__key*__:*");
    expect(await admin.config("SET", "notify-keyspace-events", "KEA")).toBe("OK");
    expect(await admin.config("GET", "notify-keyspace-events")).toEqual(["notify-keyspace-events", "AKE"]);
    await admin.set("kn:1", "v");
    await admin.del("kn:1");
    await expect.poll(() => events.length).toBe(4);
    expect(events).toEqual([
      "__keyspace@0__:kn:1 set",
      "__keyevent@0__:set kn:1",
      "__keyspace@0__:kn:1 del",
      "__keyevent@0__:del kn:1",
    ]);
    await admin.config("SET", "notify-keyspace-events", "");
    await expect(admin.config("SET", "notify-keyspace-events", "Q")).rejects.toThrow("Invalid event class character");
  });
});

describe("ioredis, RESP3 specifics", () => {
  const connect = connectWith;
  it("RESP3: HELLO 3, maps, doubles, pushes", async () => {
    const r = connect({ protocol: 3 });
    const hello = (await r.call("HELLO", "3")) as unknown[];
    expect(hello).toContain("proto");
    await r.hset("r3:h", "a", "1");
    expect(await r.hgetall("r3:h")).toEqual({ a: "1" });
    await r.zadd("r3:z", 1.5, "m");
    expect(String(await r.zscore("r3:z", "m"))).toBe("1.5");
    const sub = connect({ protocol: 3 });
    const got: string[] = [];
    sub.on("message", (c, m) => got.push(`${c}:${m}`));
    await sub.subscribe("r3");
    // RESP3 allows commands while subscribed.
    expect(await sub.call("PING")).toBe("PONG");
    await r.publish("r3", "pushed");
    await expect.poll(() => got).toEqual(["r3:pushed"]);
  });
});
