/**
 * Plain-TCP clients' reads share one buffer (server/resp/resp-socket.ts): whatever a read leaves
 * unparsed (half a command, or commands a paused client has not run yet) must be copied out
 * before the next read of any client overwrites it. Clients here interleave writes that each end
 * in the middle of a command, with distinct keys and values, so a leftover overwritten by another
 * client's bytes shows as a wrong value, an error or a protocol error.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RawRespClient } from "../support/resp-raw.js";
import { type RespServerProcess, startRespServerProcess } from "../support/resp-server.js";

let server: RespServerProcess;
const opened: RawRespClient[] = [];

beforeAll(async () => {
  server = await startRespServerProcess([]);
});

afterAll(async () => {
  for (const c of opened) c.close();
  await server?.stop();
});

const frame = (...argv: string[]): string =>
  `*${argv.length}\r\n${argv.map((a) => `$${a.length}\r\n${a}\r\n`).join("")}`;

/** A small seeded generator (the same cuts every run). */
function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x80000000;
  };
}

describe("RESP reads through the shared buffer", () => {
  it("clients whose reads end mid-command, interleaved, each get their own commands intact", async () => {
    const clients = await Promise.all([0, 1, 2].map(() => RawRespClient.open(server.respPort)));
    opened.push(...clients);
    const n = 400;
    const value = (c: number, i: number): string =>
      `${c}-${i}-`.padEnd(20 + ((i * 7 + c) % 60), String.fromCharCode(97 + c));
    const streams = clients.map((_, c) => {
      let s = "";
      for (let i = 0; i < n; i++) s += frame("SET", `lent:${c}:${i}`, value(c, i));
      return s;
    });
    const random = seeded(7);
    const at = streams.map(() => 0);
    while (at.some((p, c) => p < (streams[c] as string).length)) {
      for (let c = 0; c < clients.length; c++) {
        const s = streams[c] as string;
        const p = at[c] as number;
        if (p >= s.length) continue;
        const next = Math.min(s.length, p + 1 + Math.floor(random() * 300));
        (clients[c] as RawRespClient).send(s.slice(p, next));
        at[c] = next;
      }
      await new Promise((r) => setImmediate(r)); // let each write be its own read on the server
    }
    for (const c of clients) for (let i = 0; i < n; i++) expect(await c.read()).toBe("OK");
    const check = clients[0] as RawRespClient;
    for (let c = 0; c < clients.length; c++) {
      const keys = Array.from({ length: n }, (_, i) => `lent:${c}:${i}`);
      expect(await check.call("MGET", ...keys)).toEqual(keys.map((_, i) => value(c, i)));
    }
  }, 30_000);

  it("a paused client's unrun commands survive other clients' reads", async () => {
    const [setter, hog, other] = await Promise.all([0, 1, 2].map(() => RawRespClient.open(server.respPort)));
    opened.push(setter as RawRespClient, hog as RawRespClient, other as RawRespClient);
    expect(await setter?.call("SET", "lent:big", "x".repeat(256 * 1024))).toBe("OK");
    hog?.stopReading();
    // Enough GETs of a 256 KiB value (~50 MB, past the kernel buffers) that the server pauses the hog with commands still unparsed.
    const n = 400;
    let pipeline = "";
    for (let i = 0; i < n; i++) pipeline += i % 2 === 0 ? frame("GET", "lent:big") : frame("ECHO", `hog-${i}`);
    hog?.send(pipeline);
    // Meanwhile another client's reads (each longer than the hog's whole pipeline) go through the same buffer.
    for (let i = 0; i < 20; i++) {
      const echo = `other-${i}-`.padEnd(20_000 + i, "y");
      expect(await other?.call("ECHO", echo)).toBe(echo);
    }
    hog?.resumeReading();
    for (let i = 0; i < n; i++) {
      const r = await hog?.read();
      const want = i % 2 === 0 ? "x".repeat(256 * 1024) : `hog-${i}`;
      if (r !== want) throw new Error(`reply ${i}: ${JSON.stringify(r).slice(0, 60)}`);
    }
    expect(await hog?.call("PING")).toBe("PONG");
  }, 30_000);
});
