/**
 * Differential: the same command gives the same reply over the RESP port and over
 * CommandService.Execute, on one server (one store). Seeded random commands over every family
 * (errors included) run twice, once over each host on its own key prefix, so both see the same
 * state; every reply must be identical (nil, integer, bulk, status, array, error text).
 */
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CommandService, type Reply } from "../../shared/gen/memorabilia/v1/command_service_pb.js";
import { type RawReply, RawRespClient } from "../support/resp-raw.js";
import { type RespServerProcess, startRespServerProcess } from "../support/resp-server.js";

let server: RespServerProcess;

beforeAll(async () => {
  server = await startRespServerProcess();
});

afterAll(async () => {
  await server?.stop();
});

/** A small seeded PRNG (the run is reproducible from its seed). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Gen = (k: (i?: number) => string, v: () => string, n: () => string) => string[];

/** Command shapes per family; `k` gives a key template (prefixed per host), `v` a value, `n` a number. */
const SHAPES: readonly Gen[] = [
  (k, v) => ["SET", k(), v()],
  (k, v) => ["SET", k(), v(), "NX"],
  (k) => ["GET", k()],
  (k) => ["INCR", k()],
  (k, _v, n) => ["INCRBY", k(), n()],
  (k, _v, n) => ["DECRBY", k(), n()],
  (k) => ["INCRBYFLOAT", k(), "1.25"],
  (k, v) => ["APPEND", k(), v()],
  (k) => ["STRLEN", k()],
  (k) => ["GETRANGE", k(), "0", "2"],
  (k, v) => ["SETRANGE", k(), "1", v()],
  (k, v) => ["MSET", k(1), v(), k(2), v()],
  (k) => ["MGET", k(1), k(2), k(3)],
  (k) => ["GETDEL", k()],
  (k, v) => ["LPUSH", k(), v(), v()],
  (k, v) => ["RPUSH", k(), v()],
  (k) => ["LPOP", k()],
  (k) => ["RPOP", k(), "2"],
  (k) => ["LRANGE", k(), "0", "-1"],
  (k) => ["LLEN", k()],
  (k) => ["LINDEX", k(), "1"],
  (k, v) => ["LSET", k(), "0", v()],
  (k, v) => ["LREM", k(), "0", v()],
  (k) => ["LTRIM", k(), "0", "3"],
  (k, v) => ["HSET", k(), v(), v(), v(), v()],
  (k, v) => ["HGET", k(), v()],
  (k, v) => ["HDEL", k(), v()],
  (k) => ["HGETALL", k()],
  (k, v, n) => ["HINCRBY", k(), v(), n()],
  (k) => ["HLEN", k()],
  (k) => ["HKEYS", k()],
  (k, v) => ["HMGET", k(), v(), v()],
  (k, v) => ["SADD", k(), v(), v(), v()],
  (k, v) => ["SREM", k(), v()],
  (k) => ["SMEMBERS", k()],
  (k) => ["SCARD", k()],
  (k, v) => ["SISMEMBER", k(), v()],
  (k) => ["SINTER", k(1), k(2)],
  (k) => ["SUNION", k(1), k(2)],
  (k, v, n) => ["ZADD", k(), n(), v(), n(), v()],
  (k, v, n) => ["ZINCRBY", k(), n(), v()],
  (k, v) => ["ZSCORE", k(), v()],
  (k) => ["ZRANGE", k(), "0", "-1", "WITHSCORES"],
  (k, v) => ["ZRANK", k(), v()],
  (k, v) => ["ZREM", k(), v()],
  (k) => ["ZCARD", k()],
  (k) => ["ZCOUNT", k(), "-inf", "5"],
  (k) => ["ZRANGEBYSCORE", k(), "0", "+inf"],
  (k) => ["DEL", k(), k(1)],
  (k) => ["EXISTS", k(), k(1)],
  (k) => ["TYPE", k()],
  (k) => ["RENAME", k(), k(1)],
  (k) => ["EXPIRE", k(), "1000"],
  (k) => ["PERSIST", k()],
  (k) => ["COPY", k(), k(2)],
  // Errors: arity, unknown commands, bad numbers, syntax.
  (k) => ["GET", k(), k(1)],
  (k) => ["NOSUCHCMD", k()],
  (k) => ["INCRBY", k(), "abc"],
  (k, v) => ["SET", k(), v(), "BADOPT"],
  (k) => ["ZADD", k(), "x", "m"],
  () => ["PING"],
  (_k, v) => ["ECHO", v()],
];

function generate(random: () => number, count: number): string[][] {
  const out: string[][] = [];
  const values = ["a", "b", "c", "1", "2", "", "x y", "\u00e9t\u00e9", "\u0000\r\n"];
  for (let i = 0; i < count; i++) {
    const shape = SHAPES[Math.floor(random() * SHAPES.length)] as Gen;
    const base = Math.floor(random() * 6);
    const k = (j = 0): string => `{key}${(base + j) % 6}`;
    const v = (): string => values[Math.floor(random() * values.length)] as string;
    const n = (): string => String(Math.floor(random() * 21) - 10);
    out.push(shape(k, v, n));
  }
  return out;
}

/** An Execute reply in the raw client's shape. */
function fromExecute(reply: Reply | undefined): RawReply {
  const kind = reply?.kind;
  switch (kind?.case) {
    case "nil":
    case undefined:
      return null;
    case "integer":
      return Number(kind.value);
    case "bulk":
      return Buffer.from(kind.value).toString("latin1");
    case "status":
      return { status: kind.value };
    case "error":
      return { error: kind.value.message };
    case "array":
      return kind.value.elements.map(fromExecute);
    default:
      throw new Error(`unexpected reply ${JSON.stringify(kind)}`);
  }
}

describe("RESP vs CommandService.Execute", () => {
  it.each([1, 2, 3])(
    "seed %i: 400 random commands reply identically",
    async (seed) => {
      const resp = await RawRespClient.open(server.respPort);
      resp.statusObjects = true;
      const transport = createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" });
      const command = createClient(CommandService, transport);
      const enc = (s: string): Uint8Array => Buffer.from(s, "latin1");
      const kinds = new Set<string>();
      try {
        for (const argv of generate(prng(seed), 400)) {
          const over = (prefix: string) => argv.map((a) => a.replaceAll("{key}", `${prefix}:${seed}:`));
          const viaResp = await resp.call(...over("r").map((a) => Buffer.from(a, "latin1")));
          let viaExecute: RawReply;
          try {
            viaExecute = fromExecute((await command.execute({ args: over("e").map(enc) })).reply);
          } catch (error) {
            viaExecute = { error: (error as { rawMessage?: string }).rawMessage ?? String(error) };
          }
          // Error texts name the keys: compare them with the host prefix put back to the template.
          const norm = (r: RawReply, prefix: string): string =>
            JSON.stringify(r).replaceAll(`${prefix}:${seed}:`, "{key}");
          expect(norm(viaResp, "r"), JSON.stringify(argv)).toBe(norm(viaExecute, "e"));
          kinds.add(
            viaResp === null
              ? "nil"
              : Array.isArray(viaResp)
                ? "array"
                : typeof viaResp === "object"
                  ? (Object.keys(viaResp)[0] as string)
                  : typeof viaResp,
          );
        }
        // The run covered every reply shape (it would prove little otherwise).
        expect([...kinds].sort()).toEqual(["array", "error", "nil", "number", "status", "string"]);
      } finally {
        resp.close();
      }
    },
    120_000,
  );
});
