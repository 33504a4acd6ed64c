/**
 * The RESP port's shortcuts (the last command name's dispatch reused, RESP2 integers and statuses
 * written without the generic reply dispatch, the store's direct GET/SET) against redis-server
 * 7.0, byte for byte: one pipeline that alternates spellings of store and connection commands,
 * mixes errors, big and binary arguments in, and arrives in cuts that end mid-frame; then the same
 * from a client that reads nothing until all of it is sent (the server pauses it), and over RESP3.
 */
import { connect, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { useRespAndRedis } from "../support/resp-and-redis.js";

const servers = useRespAndRedis();

const frame = (argv: readonly string[]): string =>
  `*${argv.length}\r\n${argv.map((a) => `$${a.length}\r\n${a}\r\n`).join("")}`;

/** Every byte value, as a byte string. */
const BINARY = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join("");
const BIG = "v".repeat(100_000);

/** The pipeline, on keys under `p`. */
function pipeline(p: string): string[][] {
  const k = (n: string): string => `${p}:${n}`;
  return [
    ["SET", k("s"), "1"],
    ["get", k("s")],
    ["CLIENT", "GETNAME"],
    ["GET", k("s")],
    ["client", "SETNAME", "fast"],
    ["Get", k("s")],
    ["CLIENT", "GETNAME"],
    ["gEt", k("s")],
    ["INCR", k("s")],
    ["incrby", k("s"), "-10"],
    ["DECRBY", k("s"), "9007199254740990"],
    ["INCRBY", k("big"), "9007199254740993"],
    ["INCR", k("big")],
    ["TYPE", k("s")],
    ["PING"],
    ["ping", "x"],
    ["SELECT", "0"],
    ["select", "0"],
    // Names of the same length, store and connection commands in turn.
    ["DECRBY", k("n"), "2"],
    ["CLIENT", "GETNAME"],
    ["INCRBY", k("n"), "5"],
    ["SELECT", "0"],
    ["EXISTS", k("n")],
    ["EXEC"],
    ["ECHO", "e"],
    ["INFO", "nosuchsection"],
    ["KEYS", `${k("nope")}*`],
    ["INFO", "nosuchsection"],
    ["LPUSH", k("l"), "a", "b", "c"],
    ["lpush", k("l"), "d"],
    ["LTRIM", k("l"), "0", "1"],
    ["LRANGE", k("l"), "0", "-1"],
    ["INCR", k("l")],
    ["GET", k("l")],
    ["SET", k("t"), "text"],
    ["INCR", k("t")],
    ["NOSUCHCOMMAND", k("t")],
    ["GET"],
    ["SET", k("t")],
    ["set", k("bin"), BINARY],
    ["GET", k("bin")],
    ["SET", k("huge"), BIG],
    ["GET", k("huge")],
    ["STRLEN", k("huge")],
    ["EXISTS", k("s"), k("nope"), k("bin")],
    ["DEL", k("s"), k("nope")],
    ["GET", k("s")],
    ["GET", k("nope")],
    // Counters across the shared integers' bounds (0–9999), and the clock-free commands on keys
    // with a TTL (INCR and a push keep it).
    ["SET", k("c"), "9998"],
    ["INCR", k("c")],
    ["INCR", k("c")],
    ["GET", k("c")],
    ["DECRBY", k("c"), "10001"],
    ["INCR", k("c")],
    ["GET", k("c")],
    ["APPEND", k("c"), "5"],
    ["INCR", k("c")],
    ["SET", k("x"), "7", "EX", "1000"],
    ["INCR", k("x")],
    ["TTL", k("x")],
    ["RPUSH", k("tl"), "a"],
    ["EXPIRE", k("tl"), "1000"],
    ["LPUSH", k("tl"), "b"],
    ["RPUSHX", k("tl"), "c"],
    ["LPUSHX", k("none"), "c"],
    ["TTL", k("tl")],
    ["LRANGE", k("tl"), "0", "-1"],
    ["RENAME", k("t"), k("t2")],
    ["GET", k("t2")],
    ["ECHO", "end"],
  ];
}

/** Connects, optionally switches to RESP3 (its HELLO reply, whose id and version differ, dropped). */
async function open(port: number, resp3: boolean): Promise<Socket> {
  const socket = connect({ host: "127.0.0.1", port });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  if (resp3) {
    socket.write(frame(["HELLO", "3"]));
    await new Promise<void>((resolve) => socket.once("data", () => resolve()));
  }
  return socket;
}

/** Everything the server sends back until the reply to the final ECHO. */
function collect(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = "";
    socket.on("data", (d: Buffer) => {
      got += d.toString("latin1");
      if (got.endsWith("$3\r\nend\r\n")) resolve(got);
    });
    socket.once("error", reject);
    socket.once("close", () => reject(new Error(`closed after ${got.length} bytes`)));
  });
}

/** Sends `bytes` in cuts of seeded sizes (most ending mid-frame), a turn of the loop apart. */
async function sendInCuts(socket: Socket, bytes: string, seed: number): Promise<void> {
  let s = seed;
  for (let at = 0; at < bytes.length; ) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const n = 1 + (s % 97);
    socket.write(Buffer.from(bytes.slice(at, at + n), "latin1"));
    at += n;
    await new Promise((r) => setImmediate(r));
  }
}

async function run(port: number, p: string, how: { resp3: boolean; cuts: boolean; repeat: number }): Promise<string> {
  const socket = await open(port, how.resp3);
  try {
    const commands = pipeline(p);
    let bytes = "";
    for (let i = 0; i < how.repeat - 1; i++) bytes += commands.slice(0, -1).map(frame).join("");
    bytes += commands.map(frame).join("");
    if (how.cuts) {
      const replies = collect(socket);
      await sendInCuts(socket, bytes, 7);
      return await replies;
    }
    // Not read until everything is sent: the server stops reading this client meanwhile.
    socket.pause();
    await new Promise<void>((resolve) => socket.write(Buffer.from(bytes, "latin1"), () => resolve()));
    const replies = collect(socket);
    socket.resume();
    return await replies;
  } finally {
    socket.destroy();
  }
}

describe("RESP fast paths give Redis's bytes (differential)", () => {
  it("a pipeline arriving in cuts mid-frame, mixed spellings, errors, big and binary arguments (RESP2)", async () => {
    const [ours, redis] = await servers.both((port) => run(port, "fp2", { resp3: false, cuts: true, repeat: 1 }));
    expect(ours.length).toBeGreaterThan(BIG.length);
    expect(ours).toBe(redis);
  });

  it("the same over RESP3", async () => {
    const [ours, redis] = await servers.both((port) => run(port, "fp3", { resp3: true, cuts: true, repeat: 1 }));
    expect(ours).toBe(redis);
  });

  it("from a client that reads nothing until 40 copies are sent (the server pauses it)", async () => {
    const [ours, redis] = await servers.both((port) => run(port, "fpp", { resp3: false, cuts: false, repeat: 40 }));
    // 40 × the 100 kB value, far past the server's 256 KiB high-water mark.
    expect(ours.length).toBeGreaterThan(40 * BIG.length);
    expect(ours).toBe(redis);
  }, 60_000);
});
