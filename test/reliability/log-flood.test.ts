/**
 * Log flooding (issue 12, item 11): client mistakes are not server errors. Before, each malformed
 * server-streaming request logged a ~1.1 KB stack trace, each unknown HTTP/2 method two Fastify
 * warnings (one the whole route tree), each grpc-timeout ≥ 2^31 ms a TimeoutOverflowWarning on
 * stderr. 300 of each must leave a handful of log lines, no stack, and the counts in
 * memorabilia_client_errors_total, while Health.Check keeps answering.
 */
import type * as http2 from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openH2Session } from "../support/h2-client.js";
import type { ServerProcess } from "../support/server-process.js";
import { metricValue, startBundledServer, startHealthProbe } from "./hostile-support.js";

const N = 300;
const GARBAGE = Buffer.from([0, 0, 0, 0, 3, 0xff, 0xff, 0xff]);

describe("log flooding", () => {
  let server: ServerProcess;
  beforeAll(async () => {
    // A cap past 2^31 ms: connect itself would arm a timer of the client's 99999999H (3.6e14 ms).
    server = await startBundledServer(["--max-timeout-ms", "900719925474099"]);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it(`${N} malformed streams, unknown methods and overflowing deadlines: a few lines, no stack`, async () => {
    const probe = startHealthProbe(server.url);
    const linesBefore = server.logs.length;
    const session = openH2Session(server.url);
    const send = (headers: http2.OutgoingHttpHeaders, body?: Buffer) =>
      new Promise<string | undefined>((resolve) => {
        const s = session.request(headers);
        let status: string | undefined;
        s.on("error", () => {});
        s.on("response", (h) => {
          status = (h["grpc-status"] as string | undefined) ?? String(h[":status"]);
        });
        s.on("trailers", (t) => {
          status = t["grpc-status"] as string | undefined;
        });
        s.resume();
        s.on("close", () => resolve(status));
        s.end(body);
      });
    const codes = new Map<string, number>();
    const note = (kind: string, code: string | undefined) =>
      codes.set(`${kind}:${code}`, (codes.get(`${kind}:${code}`) ?? 0) + 1);
    for (let i = 0; i < N; i++) {
      const [a, b, c] = await Promise.all([
        send(
          {
            ":method": "POST",
            ":path": "/memorabilia.v1.WatchService/Watch",
            "content-type": "application/grpc",
            te: "trailers",
          },
          GARBAGE,
        ),
        send({ ":method": "FOO", ":path": "/memorabilia.v1.CommandService/Execute" }),
        send(
          {
            ":method": "POST",
            ":path": "/memorabilia.v1.CommandService/Execute",
            "content-type": "application/grpc",
            te: "trailers",
            "grpc-timeout": "99999999H",
          },
          GARBAGE,
        ),
      ]);
      note("stream", a);
      note("method", b);
      note("timeout", c);
    }
    session.close();
    // Every request got a proper answer: INVALID_ARGUMENT, 405, INVALID_ARGUMENT.
    expect(Object.fromEntries(codes)).toEqual({ "stream:3": N, "method:405": N, "timeout:3": N });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metricValue(metrics, 'memorabilia_client_errors_total{kind="undecodable_request"}')).toBe(N);
    expect(metricValue(metrics, 'memorabilia_client_errors_total{kind="unknown_http_method"}')).toBe(N);
    expect(metricValue(metrics, 'memorabilia_client_errors_total{kind="bad_timeout"}')).toBe(N);
    const lines = server.logs.slice(linesBefore);
    // At most one line per kind per 10 s (the first at once): the run takes a few seconds.
    expect(lines.length).toBeLessThanOrEqual(9);
    expect(lines.join("\n")).not.toMatch(/stack|TimeoutOverflowWarning|fastify bug/);
    expect((await probe.stop()).failures).toEqual([]);
  });
});
