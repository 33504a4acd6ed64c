/**
 * A process holding `n` Watch streams on a server (so their client-side work does not share the
 * test's event loop): `node watchers-child.mjs URL N reading|stalled`. Prints `ready` once every
 * stream is open, then, on a line `count` on stdin, the events received so far.
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

/** Streams that never read: HTTP/2 flow control stalls the server's writes to them. */
async function stalled(): Promise<void> {
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
    stream.end(frame);
  }
  await Promise.all(responses);
}

await (mode === "stalled" ? stalled() : reading());
console.log("ready");
createInterface({ input: process.stdin }).on("line", () => console.log(String(events)));
