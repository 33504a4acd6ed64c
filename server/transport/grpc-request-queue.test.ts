/**
 * The stream lane's request queue: envelopes split across any chunking, connect's errors in
 * connect's order, backpressure (pause past the high-water mark, resume once pulled down).
 */
import { EventEmitter } from "node:events";
import type * as http2 from "node:http2";
import { ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { RequestQueue } from "./grpc-request-queue.js";

/** A stand-in for the HTTP/2 stream: emits what the test pushes, counts pause/resume. */
class FakeStream extends EventEmitter {
  paused = false;
  pauses = 0;
  pause() {
    this.paused = true;
    this.pauses++;
  }
  resume() {
    this.paused = false;
  }
}

const env = (text: string, flags = 0) => {
  const data = Buffer.from(text);
  const b = Buffer.alloc(5 + data.length);
  b[0] = flags;
  b.writeUInt32BE(data.length, 1);
  data.copy(b, 5);
  return b;
};

/** The parser: the body as text, or a parse error for a body starting with "!". */
const parser = {
  parse(data: Uint8Array) {
    const s = Buffer.from(data).toString();
    if (s.startsWith("!")) throw new Error(`bad ${s}`);
    return s;
  },
};

function queue(options: { readMaxBytes?: number; highWaterBytes?: number; firstError?: unknown } = {}) {
  const stream = new FakeStream();
  const q = new RequestQueue(stream as unknown as http2.ServerHttp2Stream, {
    readMaxBytes: options.readMaxBytes ?? 100,
    parser,
    highWaterBytes: options.highWaterBytes,
    firstError: options.firstError,
  });
  return { stream, q };
}

/** Pulls until done or an error: the values, then the error's message if any. */
async function drain(q: RequestQueue): Promise<string[]> {
  const out: string[] = [];
  try {
    for (;;) {
      const r = await q.next();
      if (r.done) return out;
      out.push(r.value as string);
    }
  } catch (e) {
    out.push(`error: ${(e as Error).message}`);
    return out;
  }
}

function chunked(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

describe("RequestQueue", () => {
  const all = Buffer.concat([env("alpha"), env(""), env("b"), env("gamma".repeat(5))]);
  it.each([1, 2, 3, 5, 7, 11, all.length])("splits envelopes delivered in chunks of %i bytes", async (size) => {
    const { stream, q } = queue();
    const pulled = drain(q);
    for (const c of chunked(all, size)) stream.emit("data", c);
    stream.emit("end");
    expect(await pulled).toEqual(["alpha", "", "b", "gamma".repeat(5)]);
  });

  it.each([
    [
      "bytes left over",
      Buffer.concat([env("a"), env("bc").subarray(0, 6)]),
      ["a", "error: [invalid_argument] protocol error: incomplete envelope"],
    ],
    // connect's decoder: a header read with no body byte yet leaves nothing in its buffer.
    ["a header without its body", Buffer.concat([env("a"), env("bc").subarray(0, 5)]), ["a"]],
    ["a parse error", Buffer.concat([env("a"), env("!x"), env("c")]), ["a", "error: bad !x"]],
    [
      "a compressed flag",
      Buffer.concat([env("a"), env("b", 1)]),
      ["a", "error: [internal] received compressed envelope, but do not know how to decompress"],
    ],
  ])("at the end of the request: %s", async (_name, bytes, expected) => {
    const { stream, q } = queue();
    stream.emit("data", bytes);
    stream.emit("end");
    expect(await drain(q)).toEqual(expected);
  });

  it("refuses an envelope past readMaxBytes, dropping the envelopes of the same chunk as connect does", async () => {
    const { stream, q } = queue({ readMaxBytes: 10 });
    stream.emit("data", env("first"));
    stream.emit("data", Buffer.concat([env("lost"), env("x".repeat(11)), env("never")]));
    expect(await drain(q)).toEqual([
      "first",
      "error: [resource_exhausted] message size 11 is larger than configured readMaxBytes 10",
    ]);
  });

  it("throws the first error (a bad grpc-timeout) on the first pull", async () => {
    const { stream, q } = queue({ firstError: new ConnectError("bad timeout") });
    stream.emit("data", env("a"));
    expect(await drain(q)).toEqual(["error: [unknown] bad timeout"]);
  });

  it("rejects a waiting pull when the client resets the stream", async () => {
    const { stream, q } = queue();
    stream.emit("data", env("a"));
    const pulled = drain(q);
    await new Promise((r) => setImmediate(r));
    q.abort(new ConnectError("reset"));
    stream.emit("data", env("after"));
    expect(await pulled).toEqual(["a", "error: [unknown] reset"]);
  });

  it("calls onWait when a pull finds nothing queued", async () => {
    const { stream, q } = queue();
    let waits = 0;
    q.onWait = () => waits++;
    stream.emit("data", env("a"));
    await q.next();
    expect(waits).toBe(0);
    const p = q.next();
    expect(waits).toBe(1);
    stream.emit("data", env("b"));
    expect(await p).toEqual({ done: false, value: "b" });
  });

  it("pauses the stream past the high-water mark and resumes once pulled below half of it", async () => {
    const { stream, q } = queue({ highWaterBytes: 20 });
    for (let i = 0; i < 5; i++) stream.emit("data", env(`msg-${i}`)); // 5 bytes each
    expect(stream.paused).toBe(true);
    expect(stream.pauses).toBe(1);
    await q.next();
    await q.next();
    await q.next();
    expect(stream.paused).toBe(true); // 10 bytes queued: not below half
    await q.next();
    expect(stream.paused).toBe(false); // 5 bytes queued
    stream.emit("end");
    expect(await drain(q)).toEqual(["msg-4"]);
  });

  it("does not pause for a message still arriving (it must be read to be pulled)", () => {
    const { stream } = queue({ highWaterBytes: 4, readMaxBytes: 1000 });
    for (const c of chunked(env("x".repeat(50)), 7).slice(0, -1)) stream.emit("data", c);
    expect(stream.paused).toBe(false);
  });
});
