/**
 * A process holding `n` Watch streams on a server (so their client-side work does not share the
 * test's event loop): `node watchers-child.mjs URL N reading|raw|stalled`. Prints `ready` once every
 * stream is open, then, on a line `count` on stdin, the events received so far (`raw`: the
 * messages, undecoded).
 */
import http2 from "node:http2";
import { createInterface } from "node:readline";
import { create, toBinary } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { WatchRequestSchema, WatchService } from "../../../shared/gen/memorabilia/v1/watch_service_pb.js";

const [url, countText, mode] = process.argv.slice(2) as [string, string, string];
const n = Number(countText);
const PER_CONNECTION = 200;
let events = 0;

async function reading(): Promise<void> {
  const clients = Array.from({ length: Math.ceil(n / PER_CONNECTION) }, () =>
    createClient(WatchService, createGrpcTransport({ baseUrl: url })),
  );
  const confirmed: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const client = clients[Math.floor(i / PER_CONNECTION)] as (typeof clients)[number];
    confirmed.push(
      new Promise<void>((resolve) => {
        (async () => {
          try {
            for await (const m of client.watch({ pattern: "*" })) {
              if (m.kind.case === "heartbeat") resolve();
              else if (m.kind.case === "events") events += m.kind.value.events.length;
            }
          } catch {
            resolve();
          }
        })();
      }),
    );
  }
  await Promise.all(confirmed);
}

/**
 * Raw HTTP/2 streams: `read` false never reads (HTTP/2 flow control stalls the server's writes
 * to them); true reads every byte and counts the messages (envelopes) without decoding them, so
 * the client's own work stays small beside the server's (a full client library decoding 1,000
 * streams costs more CPU than the server sending them, on the same cores).
 */
async function raw(read: boolean): Promise<void> {
  const body = toBinary(WatchRequestSchema, create(WatchRequestSchema, { pattern: "*" }));
  const frame = Buffer.alloc(5 + body.length);
  frame.writeUInt32BE(body.length, 1);
  frame.set(body, 5);
  let session: http2.ClientHttp2Session | undefined;
  const responses: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    if (i % PER_CONNECTION === 0) {
      session = http2.connect(url);
      session.on("error", () => {});
    }
    const stream = (session as http2.ClientHttp2Session).request({
      ":method": "POST",
      ":path": "/memorabilia.v1.WatchService/Watch",
      "content-type": "application/grpc",
      te: "trailers",
    });
    stream.on("error", () => {});
    responses.push(new Promise((resolve) => stream.once("response", resolve)));
    if (read) {
      // Envelope headers only: 5 bytes (flags, length) before each message.
      let skip = 0;
      let head = 0;
      let length = 0;
      stream.on("data", (chunk: Buffer) => {
        let i = 0;
        while (i < chunk.length) {
          if (skip > 0) {
            const n = Math.min(skip, chunk.length - i);
            skip -= n;
            i += n;
            continue;
          }
          length = head === 0 ? 0 : length;
          if (head >= 1) length = length * 256 + (chunk[i] as number);
          i++;
          if (++head === 5) {
            head = 0;
            skip = length;
            events++;
          }
        }
      });
    }
    stream.end(frame);
  }
  await Promise.all(responses);
}

await (mode === "stalled" ? raw(false) : mode === "raw" ? raw(true) : reading());
console.log("ready");
createInterface({ input: process.stdin }).on("line", () => console.log(String(events)));
