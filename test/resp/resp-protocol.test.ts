/**
 * The RESP port byte by byte, as a hostile or careless client drives it: frames split anywhere,
 * inline commands, absurd lengths, garbage, pipelines that are never read, subscribers that never
 * read, idle clients, too many clients. Each attack gets Redis's answer (a protocol error and a
 * closed connection, a disconnect past the output limit…) and never costs another client its
 * service or the server its life.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RawReply, RawRespClient } from "../support/resp-raw.js";
import { type RespServerProcess, startRespServerProcess } from "../support/resp-server.js";

let server: RespServerProcess;
const opened: RawRespClient[] = [];

async function client(): Promise<RawRespClient> {
  const c = await RawRespClient.open(server.respPort);
  opened.push(c);
  return c;
}

/** A fresh client answers PING: the server is alive and serving. */
async function alive(): Promise<void> {
  const c = await client();
  expect(await c.call("PING")).toBe("PONG");
  c.close();
}

/** Sends `bytes`, expects one protocol error reply with `message`, then the close. */
async function protocolError(bytes: string | Buffer, message: string): Promise<void> {
  const c = await client();
  c.send(bytes);
  expect(await c.read()).toEqual({ error: `ERR Protocol error: ${message}` });
  await c.closed;
}

function infoField(info: RawReply, field: string): number {
  const m = new RegExp(`${field}:(\\d+)`).exec(String(info));
  return Number(m?.[1]);
}

beforeAll(async () => {
  server = await startRespServerProcess(["--max-value-bytes", String(1024 * 1024), "--max-args", "1000"]);
});

afterAll(async () => {
  for (const c of opened) c.close();
  await server?.stop();
});

describe("RESP framing", () => {
  it("a command split at every byte still parses, and pipelined commands answer in order", async () => {
    const c = await client();
    const bytes = "*3\r\n$3\r\nSET\r\n$4\r\nk:sp\r\n$5\r\nhello\r\n*2\r\n$3\r\nGET\r\n$4\r\nk:sp\r\nPING\r\n";
    for (const ch of bytes) {
      c.send(ch);
      await new Promise((r) => setImmediate(r)); // each byte its own write (and usually its own read)
    }
    expect(await c.read()).toBe("OK");
    expect(await c.read()).toBe("hello");
    expect(await c.read()).toBe("PONG");
  });

  it("a large bulk argument arriving in small pieces is assembled exactly", async () => {
    const c = await client();
    const value = Buffer.alloc(900 * 1024);
    for (let i = 0; i < value.length; i++) value[i] = (i * 7) % 256;
    const frame = Buffer.concat([
      Buffer.from(`*3\r\n$3\r\nSET\r\n$5\r\nk:big\r\n$${value.length}\r\n`),
      value,
      Buffer.from("\r\n"),
    ]);
    for (let i = 0; i < frame.length; i += 10_000) c.send(frame.subarray(i, i + 10_000));
    expect(await c.read()).toBe("OK");
    const back = await c.call("GET", "k:big");
    expect(Buffer.from(back as string, "latin1").equals(value)).toBe(true);
  });

  it("inline commands, with Redis's quoting", async () => {
    const c = await client();
    c.send("SET k:inline \"a b\\x41\\n\"\r\nGET k:inline\r\n\r\n   \r\nSET 'k:q' 'it\\'s'\nGET k:q\n");
    expect(await c.read()).toBe("OK");
    expect(await c.read()).toBe("a bA\n");
    expect(await c.read()).toBe("OK");
    expect(await c.read()).toBe("it's");
  });

  it("unknown commands and wrong arity get Redis's exact errors; the connection stays usable", async () => {
    const c = await client();
    expect(await c.call("FOO", "bar", "baz")).toEqual({
      error: "ERR unknown command 'FOO', with args beginning with: 'bar' 'baz' ",
    });
    expect(await c.call("GET")).toEqual({ error: "ERR wrong number of arguments for 'get' command" });
    expect(await c.call("SELECT", "1")).toEqual({ error: "ERR DB index is out of range" });
    expect(await c.call("SELECT", "x")).toEqual({ error: "ERR value is not an integer or out of range" });
    expect(await c.call("client", "nosuch")).toEqual({ error: "ERR unknown subcommand 'nosuch'. Try CLIENT HELP." });
    expect(await c.call("PING")).toBe("PONG");
  });
});

describe("malformed input: Redis's protocol error, then the connection closes", () => {
  it("bulk lengths of 2^31, negative, or past the largest value", async () => {
    await protocolError("*1\r\n$2147483648\r\n", "invalid bulk length");
    await protocolError("*1\r\n$-5\r\n", "invalid bulk length");
    await protocolError(`*2\r\n$3\r\nGET\r\n$${1024 * 1024 + 1}\r\n`, "invalid bulk length");
    await protocolError("*1\r\n$12abc\r\n", "invalid bulk length");
    await alive();
  });

  it("multibulk lengths of 2^31, past the largest command, or not numbers", async () => {
    await protocolError("*2147483648\r\n", "invalid multibulk length");
    await protocolError("*1001\r\n", "invalid multibulk length");
    await protocolError("*x\r\n", "invalid multibulk length");
    await protocolError("*1\r\n:5\r\n", "expected '$', got ':'");
    await alive();
  });

  it("lines that never end", async () => {
    await protocolError(Buffer.alloc(70 * 1024, "a"), "too big inline request");
    await protocolError(`*${"1".repeat(70 * 1024)}`, "too big mbulk count string");
    await protocolError(`*1\r\n$${"1".repeat(70 * 1024)}`, "too big bulk count string");
    await protocolError('SET "unbalanced\r\n', "unbalanced quotes in request");
    await alive();
  });

  it("random garbage on many connections never takes the server down", async () => {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const alphabet = "*$:+-\r\n0123456789-abcSETGEPINQUT \"'\\x";
    for (let round = 0; round < 40; round++) {
      const c = await client();
      let junk = "";
      const n = 1 + Math.floor(random() * 400);
      for (let i = 0; i < n; i++) junk += alphabet[Math.floor(random() * alphabet.length)];
      c.send(junk);
      c.send("\r\nPING\r\n");
      // Junk may leave a frame waiting for more bytes, as Redis would: end our side, and the
      // server must answer what it can and close (never hang, never crash).
      c.socket.end();
      await c.closed;
      c.close();
    }
    await alive();
  });
});

describe("backpressure and limits", () => {
  it("100k pipelined commands: answered in order, and a client that does not read them costs bounded memory", async () => {
    const setter = await client();
    expect(await setter.call("SET", "k:1k", "v".repeat(1024))).toBe("OK");
    const hog = await client();
    expect(await hog.call("CLIENT", "SETNAME", "hog")).toBe("OK");
    hog.stopReading();
    const one = "*2\r\n$3\r\nGET\r\n$4\r\nk:1k\r\n";
    const n = 100_000;
    hog.send(one.repeat(n)); // ~100 MB of replies, never read for now
    // The server stops reading the hog once its unsent replies pass the high-water mark: its
    // buffered replies stay far below what the whole pipeline would need.
    const observer = await client();
    let omem = 0;
    for (let i = 0; i < 20; i++) {
      const list = String(await observer.call("CLIENT", "LIST"));
      const line = list.split("\n").find((l) => l.includes("name=hog")) ?? "";
      omem = Number(/omem=(\d+)/.exec(line)?.[1] ?? -1);
      expect(omem).toBeLessThan(4 * 1024 * 1024);
      await new Promise((r) => setImmediate(r));
    }
    // Meanwhile another client is served.
    expect(await observer.call("PING")).toBe("PONG");
    const rss = infoField(await observer.call("INFO", "memory"), "used_memory_rss");
    expect(rss).toBeLessThan(400 * 1024 * 1024); // far below the 100 MB+ the replies would take
    // Once the hog reads, it gets every reply, in order.
    hog.resumeReading();
    for (let i = 0; i < n; i++) {
      const r = await hog.read();
      if (r !== "v".repeat(1024)) throw new Error(`reply ${i}: ${JSON.stringify(r).slice(0, 80)}`);
    }
    expect(await hog.call("PING")).toBe("PONG");
  }, 180_000);

  it("replies held for a client that does not read are sent intact and in order (distinct replies)", async () => {
    // The writer reuses its slab only once the socket wrote everything out: a reply the socket
    // still holds must never be overwritten by a later one. Distinct replies make an overwrite show.
    const setter = await client();
    const value = (i: number) => `${i}:`.padEnd(4000, String.fromCharCode(97 + (i % 26)));
    const keys = 64;
    for (let i = 0; i < keys; i++) expect(await setter.call("SET", `k:held:${i}`, value(i))).toBe("OK");
    const items = Array.from({ length: 100 }, (_, i) => `item-${i}`);
    expect(await setter.call("RPUSH", "k:held:list", ...items)).toBe(100);
    const reader = await client();
    expect(await reader.call("CLIENT", "SETNAME", "held")).toBe("OK");
    reader.stopReading();
    const n = 6000;
    let frame = "";
    for (let i = 0; i < n; i++) {
      const k = `k:held:${i % keys}`;
      frame +=
        i % 10 === 9
          ? "*4\r\n$6\r\nLRANGE\r\n$11\r\nk:held:list\r\n$1\r\n0\r\n$2\r\n99\r\n"
          : `*2\r\n$3\r\nGET\r\n$${k.length}\r\n${k}\r\n`;
    }
    reader.send(frame); // ~22 MB of replies, more than the loopback buffers hold
    // Wait until the server holds unsent replies for the reader (its socket writes no longer complete at once).
    const observer = await client();
    for (let tries = 0, held = 0; held === 0; tries++) {
      if (tries > 500) throw new Error("the server never held unsent replies for the reader");
      const list = String(await observer.call("CLIENT", "LIST"));
      held = Number(/omem=(\d+)/.exec(list.split("\n").find((l) => l.includes("name=held")) ?? "")?.[1] ?? 0);
      if (held === 0) await new Promise((r) => setTimeout(r, 20));
    }
    reader.resumeReading();
    for (let i = 0; i < n; i++) {
      const r = await reader.read();
      const want = i % 10 === 9 ? items : value(i % keys);
      if (JSON.stringify(r) !== JSON.stringify(want)) throw new Error(`reply ${i}: ${JSON.stringify(r).slice(0, 80)}`);
    }
  }, 120_000);

  it("100k pipelined INCRs in one write all apply", async () => {
    const c = await client();
    c.send("*2\r\n$4\r\nINCR\r\n$6\r\nk:incr\r\n".repeat(100_000));
    let last: RawReply = null;
    for (let i = 0; i < 100_000; i++) last = await c.read();
    expect(last).toBe(100_000);
  }, 120_000);

  it("a subscriber that never reads is disconnected past the output buffer limit; publishers are not held up", async () => {
    const admin = await client();
    expect(await admin.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 2mb 0 0")).toBe("OK");
    const sub = await client();
    expect(await sub.call("SUBSCRIBE", "flood")).toEqual(["subscribe", "flood", 1]);
    sub.stopReading();
    const before = infoField(await admin.call("INFO", "stats"), "client_output_buffer_limit_disconnections");
    const message = "m".repeat(256 * 1024);
    // Publish until the server drops the subscriber (the kernel buffers absorb the first MBs).
    for (let i = 0; i < 2000 && !sub.isClosed; i++) {
      const receivers = await admin.call("PUBLISH", "flood", message);
      if (receivers === 0) break; // the server dropped it
    }
    sub.resumeReading(); // a paused socket does not report the close
    await sub.closed;
    const after = infoField(await admin.call("INFO", "stats"), "client_output_buffer_limit_disconnections");
    expect(after).toBe(before + 1);
    expect(await admin.call("PUBLISH", "flood", "x")).toBe(0);
    expect(await admin.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 32mb 0 0")).toBe("OK");
  }, 120_000);

  it("idle clients are closed after `timeout` seconds; subscribers are exempt", async () => {
    const admin = await client();
    const sub = await client();
    expect(await sub.call("SUBSCRIBE", "idle")).toEqual(["subscribe", "idle", 1]);
    expect(await admin.call("CONFIG", "SET", "timeout", "1")).toBe("OK");
    const idle = await client();
    await idle.closed; // closed by the server, not by us
    expect(sub.isClosed).toBe(false);
    sub.command("PING");
    expect(await sub.read()).toEqual(["pong", ""]); // RESP2 subscribe-mode PING
    await admin.closed; // idle too, so closed as well
    const again = await client();
    expect(await again.call("CONFIG", "SET", "timeout", "0")).toBe("OK");
    sub.close();
  }, 60_000);

  it("maxclients: one client too many is told and closed; the others are still served", async () => {
    const admin = await client();
    const connected = infoField(await admin.call("INFO", "clients"), "connected_clients");
    expect(await admin.call("CONFIG", "SET", "maxclients", String(connected + 1))).toBe("OK");
    const last = await client();
    expect(await last.call("PING")).toBe("PONG");
    const refused = await client();
    expect(await refused.read()).toEqual({ error: "ERR max number of clients reached" });
    await refused.closed;
    expect(await admin.call("PING")).toBe("PONG");
    expect(infoField(await admin.call("INFO", "stats"), "rejected_connections")).toBeGreaterThan(0);
    expect(await admin.call("CONFIG", "SET", "maxclients", "10000")).toBe("OK");
  });
});

describe("connection commands", () => {
  it("RESP2 subscribe mode refuses data commands with Redis's text", async () => {
    const c = await client();
    expect(await c.call("SUBSCRIBE", "a", "b")).toEqual(["subscribe", "a", 1]);
    expect(await c.read()).toEqual(["subscribe", "b", 2]);
    expect(await c.call("GET", "x")).toEqual({
      error:
        "ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
    });
    expect(await c.call("UNSUBSCRIBE")).toEqual(["unsubscribe", "a", 1]);
    expect(await c.read()).toEqual(["unsubscribe", "b", 0]);
    expect(await c.call("GET", "x")).toBeNull();
  });

  it("HELLO 3 switches to RESP3 (maps, pushes, nulls); HELLO 4 is NOPROTO; RESET goes back", async () => {
    const c = await client();
    const hello = (await c.call("HELLO", "3", "SETNAME", "r3")) as { map: [RawReply, RawReply][] };
    expect(Object.fromEntries(hello.map)).toMatchObject({ server: "redis", proto: 3, mode: "standalone" });
    expect(await c.call("GET", "nosuch")).toBeNull();
    expect(await c.call("HSET", "k:h3", "f", "v")).toBe(1);
    expect(await c.call("HGETALL", "k:h3")).toEqual({ map: [["f", "v"]] });
    expect(await c.call("CLIENT", "GETNAME")).toBe("r3");
    expect(await c.call("SUBSCRIBE", "c3")).toEqual({ push: ["subscribe", "c3", 1] });
    expect(await c.call("GET", "nosuch")).toBeNull(); // allowed while subscribed in RESP3
    expect(await c.call("HELLO", "4")).toEqual({ error: "NOPROTO unsupported protocol version" });
    expect(await c.call("RESET")).toBe("RESET");
    expect(await c.call("HGETALL", "k:h3")).toEqual(["f", "v"]);
    expect(await c.call("CLIENT", "GETNAME")).toBeNull();
  });

  it("MULTI/EXEC over raw RESP: QUEUED, EXECABORT after a queueing error, nested MULTI refused", async () => {
    const c = await client();
    expect(await c.call("MULTI")).toBe("OK");
    expect(await c.call("MULTI")).toEqual({ error: "ERR MULTI calls can not be nested" });
    expect(await c.call("SET", "k:tx", "1")).toBe("QUEUED");
    expect(await c.call("INCR", "k:tx")).toBe("QUEUED");
    expect(await c.call("EXEC")).toEqual(["OK", 2]);
    expect(await c.call("MULTI")).toBe("OK");
    expect(await c.call("SET", "k:tx")).toEqual({ error: "ERR wrong number of arguments for 'set' command" });
    expect(await c.call("EXEC")).toEqual({ error: "EXECABORT Transaction discarded because of previous errors." });
    expect(await c.call("GET", "k:tx")).toBe("2");
  });

  it("QUIT answers OK and closes", async () => {
    const c = await client();
    expect(await c.call("QUIT")).toBe("OK");
    await c.closed;
  });

  it("graceful shutdown closes RESP clients", async () => {
    const c = await client();
    expect(await c.call("PING")).toBe("PONG");
    expect(await server.stop()).toBe(0);
    await c.closed;
  });
});
