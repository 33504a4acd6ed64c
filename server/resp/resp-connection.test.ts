/**
 * How a RESP connection hands its replies to the socket, over a fake socket that records every
 * write: when the socket wrote everything out at once, the next replies reuse the same slab (no
 * allocation per reply: at P1, LRANGE's 1 KB replies otherwise cost a full garbage collection of
 * the keyspace every second); when the socket still holds bytes, they are never overwritten.
 */
import type { Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { createStore } from "../../shared/store/store.js";
import { FakeRespSocket, fakeRespHost } from "../../test/support/fake-resp.js";
import { RespConnection } from "./resp-connection.js";

/** A socket that records writes; `pending` is what it reports as still unsent after each write. */
class FakeSocket extends FakeRespSocket {
  readonly writes: { buffer: Buffer; bytes: string }[] = [];
  pending = 0;
  get writableLength(): number {
    return this.pending;
  }
  write(b: Buffer): boolean {
    this.writes.push({ buffer: b, bytes: b.toString("latin1") });
    return true;
  }
}

function connect(): { socket: FakeSocket; send: (...argv: string[]) => void } {
  const host = fakeRespHost(createStore(), { maxArgs: 1000, maxBulkBytes: 1 << 20, maxRequestBytes: 1 << 22 });
  const socket = new FakeSocket();
  new RespConnection(socket as unknown as Socket, host);
  const send = (...argv: string[]): void => {
    let frame = `*${argv.length}\r\n`;
    for (const a of argv) frame += `$${a.length}\r\n${a}\r\n`;
    socket.emit("data", Buffer.from(frame, "latin1")); // one read per command, as at redis-benchmark -P 1
  };
  return { socket, send };
}

const LIST = Array.from({ length: 100 }, (_, i) => `element-${i}`);
const LRANGE_REPLY = `*100\r\n${LIST.map((e) => `$${e.length}\r\n${e}\r\n`).join("")}`;

describe("RESP connection writes", () => {
  it("replies written out at once: every later reply reuses the same slab from its start", () => {
    const { socket, send } = connect();
    send("RPUSH", "l", ...LIST);
    for (let i = 0; i < 500; i++) send("LRANGE", "l", "0", "-1"); // ~60 KB each 64 KB slab would take
    const replies = socket.writes.slice(1);
    expect(replies).toHaveLength(500);
    const slab = replies[0]?.buffer.buffer;
    for (const w of replies) {
      expect(w.bytes).toBe(LRANGE_REPLY);
      expect(w.buffer.buffer).toBe(slab);
      expect(w.buffer.byteOffset).toBe(replies[0]?.buffer.byteOffset);
    }
  });

  it("replies the socket still holds are never overwritten by later ones", () => {
    const { socket, send } = connect();
    socket.pending = 1; // the kernel did not take everything: Node keeps the bytes until it does
    send("RPUSH", "l", ...LIST);
    for (let i = 0; i < 500; i++) {
      send("LRANGE", "l", "0", "-1");
      send("GET", `missing-${i}`);
    }
    for (const w of socket.writes) expect(w.buffer.toString("latin1")).toBe(w.bytes);
    expect(socket.writes.slice(1).every((w, i) => w.bytes === (i % 2 === 0 ? LRANGE_REPLY : "$-1\r\n"))).toBe(true);
  });
});
