/**
 * The one use of Node internals in the RESP port (resp-socket.ts): an accepted socket's handle
 * moved into a Socket that reads into the shared buffer. This fails loudly when a Node upgrade
 * changes what the move relies on (the port would otherwise fall back to the slower stream path
 * without a word).
 */
import { connect, createServer, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { borrowingSocket } from "./resp-socket.js";

describe("borrowingSocket", () => {
  it("moves an accepted connection to reads into the shared buffer, on this Node", async () => {
    const reads: string[] = [];
    let lent: Socket | undefined;
    let buffers = new Set<ArrayBufferLike>();
    const server = createServer({ pauseOnConnect: true }, (accepted) => {
      lent = borrowingSocket(accepted, (chunk) => {
        buffers.add(chunk.buffer);
        reads.push(chunk.toString("latin1"));
        lent?.write(`got ${chunk.length}\n`);
      });
      expect(lent).toBeDefined();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    const client = connect(port, "127.0.0.1");
    let replies = "";
    client.on("data", (d) => {
      replies += d.toString("latin1");
    });
    await new Promise((r) => client.once("connect", r));
    for (const part of ["hello", " world", "!"]) {
      const before = replies.length;
      client.write(part);
      while (replies.length === before) await new Promise((r) => setImmediate(r));
    }
    expect(reads.join("")).toBe("hello world!");
    expect(replies).toBe(reads.map((r) => `got ${r.length}\n`).join(""));
    expect(buffers.size).toBe(1); // every read went into the same buffer
    buffers = new Set();
    // The moved connection closes normally, and the server no longer counts the accepted object.
    const closed = new Promise((r) => lent?.once("close", r));
    client.end();
    await closed;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
