/**
 * The stream lane's reply writer: the replies of one turn in one `write`, HEADERS once before the
 * first write, the trailers last, and "blocked" until the stream drains.
 */
import { EventEmitter } from "node:events";
import type * as http2 from "node:http2";
import { describe, expect, it } from "vitest";
import { ReplyWriter } from "./grpc-reply-writer.js";
import { http2Sink } from "./reply-sink.js";

/** A stand-in for the HTTP/2 stream that records what is sent, in order. */
class FakeStream extends EventEmitter {
  log: string[] = [];
  accept = true;
  destroyed = false;
  closed = false;
  readableEnded = true;
  respond(headers: Record<string, unknown>, options: { waitForTrailers?: boolean }) {
    this.log.push(`respond ${JSON.stringify(headers)} ${JSON.stringify(options)}`);
  }
  write(data: Buffer) {
    this.log.push(`write ${data.toString("hex")}`);
    return this.accept;
  }
  end(data?: Buffer) {
    this.log.push(data === undefined ? "end" : `end ${data.toString("hex")}`);
    this.emit("wantTrailers");
  }
  sendTrailers(t: Record<string, unknown>) {
    this.log.push(`trailers ${JSON.stringify(t)}`);
  }
}

/** The context's parts the writer reads. */
const context = () => {
  const responseHeader = new Headers({ "content-type": "application/grpc+proto" });
  const responseTrailer = new Headers({ "grpc-status": "0" });
  return { responseHeader, responseTrailer } as never;
};

const bytes = (...xs: number[]) => new Uint8Array(xs);
const tick = () => new Promise((r) => setImmediate(r));

describe("ReplyWriter", () => {
  it("writes the replies of one turn in one write, after the HEADERS, then the trailers", async () => {
    const s = new FakeStream();
    const w = new ReplyWriter(http2Sink(s as unknown as http2.ServerHttp2Stream, true), context());
    w.add(0, bytes(1));
    w.add(0, bytes(2, 3));
    w.add(1, bytes());
    expect(s.log).toEqual([]);
    await tick();
    w.add(0, bytes(4));
    w.finish(undefined, true);
    expect(s.log).toEqual([
      'respond {":status":200,"content-type":"application/grpc+proto"} {"waitForTrailers":true}',
      "write 0000000001010000000002020301" + "00000000",
      "end 000000000104",
      'trailers {"grpc-status":"0"}',
    ]);
  });

  it("flushes when asked (the implementation waits for the next request)", () => {
    const s = new FakeStream();
    const w = new ReplyWriter(http2Sink(s as unknown as http2.ServerHttp2Stream, true), context());
    w.add(0, bytes(9));
    w.flush();
    w.flush(); // nothing more to write
    expect(s.log.filter((l) => l.startsWith("write"))).toEqual(["write 000000000109"]);
  });

  it("sends HEADERS and trailers with no reply at all", () => {
    const s = new FakeStream();
    const w = new ReplyWriter(http2Sink(s as unknown as http2.ServerHttp2Stream, true), context());
    w.finish(undefined, true);
    expect(s.log).toEqual([
      'respond {":status":200,"content-type":"application/grpc+proto"} {"waitForTrailers":true}',
      "end",
      'trailers {"grpc-status":"0"}',
    ]);
  });

  it("writes at once past 64 KiB of replies", () => {
    const s = new FakeStream();
    const w = new ReplyWriter(http2Sink(s as unknown as http2.ServerHttp2Stream, true), context());
    for (let i = 0; i < 70; i++) w.add(0, new Uint8Array(1000));
    expect(s.log.filter((l) => l.startsWith("write")).length).toBe(1);
  });

  it("is blocked until the stream drains", async () => {
    const s = new FakeStream();
    s.accept = false;
    const w = new ReplyWriter(http2Sink(s as unknown as http2.ServerHttp2Stream, true), context());
    w.add(0, bytes(1));
    w.flush();
    expect(w.blocked).toBe(true);
    let drained = false;
    void w.drained().then(() => {
      drained = true;
    });
    await tick();
    expect(drained).toBe(false);
    s.emit("drain");
    await tick();
    expect(drained).toBe(true);
    expect(w.blocked).toBe(false);
  });

  it("ends with a last envelope and no trailers (gRPC-Web, Connect)", () => {
    const s = new FakeStream();
    const w = new ReplyWriter(http2Sink(s as unknown as http2.ServerHttp2Stream, false), context());
    w.add(0, bytes(7));
    w.finish({ flags: 0x80, data: bytes(8) }, false);
    expect(s.log).toEqual([
      'respond {":status":200,"content-type":"application/grpc+proto"} {"waitForTrailers":false}',
      "end 00000000010780000000010" + "8",
    ]);
  });

  it("writes a framed reply as it is when alone, and copies it beside others", async () => {
    const s = new FakeStream();
    const writes: Buffer[] = [];
    const write = s.write.bind(s);
    s.write = (data: Buffer) => {
      writes.push(data);
      return write(data);
    };
    const w = new ReplyWriter(http2Sink(s as unknown as http2.ServerHttp2Stream, true), context());
    const shared = Buffer.from([0, 0, 0, 0, 1, 42]);
    w.addFramed(shared);
    await tick();
    expect(writes[0]).toBe(shared); // the same buffer: no copy for a message many streams send
    w.add(0, bytes(1));
    w.addFramed(shared);
    await tick();
    expect(s.log.at(-1)).toBe("write 0000000001010000000001" + "2a");
  });

  it("writes nothing more once the stream closed under the call", async () => {
    const s = new FakeStream();
    const w = new ReplyWriter(http2Sink(s as unknown as http2.ServerHttp2Stream, true), context());
    w.add(0, bytes(1));
    w.closed();
    await tick();
    w.finish(undefined, true);
    expect(s.log).toEqual([]);
  });
});
