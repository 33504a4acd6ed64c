/**
 * Hostile clients at the connection level (issue 12, item 1): one client holding thousands of
 * sockets, slowloris on the protocol sniffing, on HTTP/1.1 headers and bodies, idle HTTP/2
 * sessions and keep-alive connections, and a shutdown with idle connections open. While each
 * attack runs, a second client's Health.Check must keep answering.
 */
import { once } from "node:events";
import * as net from "node:net";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus } from "../../shared/gen/grpc/health/v1/health_pb.js";
import { openH2Session } from "../support/h2-client.js";
import { selfSignedCert } from "../support/self-signed-cert.js";
import type { ServerProcess } from "../support/server-process.js";
import { metricValue, startBundledServer, startHealthProbe } from "./hostile-support.js";

const PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/** A raw TCP connection from `localAddress` (another loopback address: another client). */
function connect(port: number, localAddress = "127.0.0.2"): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: "127.0.0.1", port, localAddress });
    s.once("connect", () => resolve(s));
    s.once("error", reject);
  });
}

/** Resolves with how long the socket stayed open after `t0`, and everything it received. */
function closed(s: net.Socket, t0: number): Promise<{ ms: number; data: string }> {
  let data = "";
  s.on("data", (d: Buffer) => {
    data += d.toString("latin1");
  });
  s.on("error", () => {});
  if (s.destroyed) return Promise.resolve({ ms: 0, data });
  return once(s, "close").then(() => ({ ms: Date.now() - t0, data }));
}

/** Drips `text` one byte every `everyMs` until the socket closes; resolves with the bytes sent. */
function drip(s: net.Socket, text: string, everyMs: number): Promise<number> {
  return new Promise((resolve) => {
    let i = 0;
    const timer = setInterval(() => {
      if (s.destroyed || i >= text.length) {
        clearInterval(timer);
        resolve(i);
        return;
      }
      s.write(text[i++] as string);
    }, everyMs);
    s.once("close", () => {
      clearInterval(timer);
      resolve(i);
    });
  });
}

async function metrics(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

describe("connection limits and timeouts", () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startBundledServer([
      "--max-clients-per-address",
      "50",
      "--max-clients",
      "400",
      "--handshake-timeout-ms",
      "1500",
      "--headers-timeout-ms",
      "1500",
      "--request-timeout-ms",
      "3000",
      "--idle-timeout-ms",
      "2000",
    ]);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("one address holding sockets gets --max-clients-per-address of them; others are still served", async () => {
    const probe = startHealthProbe(server.url);
    const sockets: net.Socket[] = [];
    const refused: Promise<unknown>[] = [];
    try {
      for (let i = 0; i < 200; i++) {
        const s = await connect(server.port).catch(() => undefined);
        if (s === undefined) continue;
        s.on("error", () => {});
        sockets.push(s);
        refused.push(once(s, "close"));
      }
      // 150 are reset at once (they never get to send a byte); wait for exactly those.
      const t0 = Date.now();
      const race = await Promise.race([
        Promise.all(refused.slice(50)).then(() => "refused"),
        new Promise((r) => setTimeout(() => r("timeout"), 1000)),
      ]);
      expect(race).toBe("refused");
      expect(Date.now() - t0).toBeLessThan(1000);
      expect(sockets.filter((s) => !s.destroyed && !s.closed).length).toBeLessThanOrEqual(50);
      const text = await metrics(server.url);
      expect(
        metricValue(text, 'memorabilia_client_errors_total{kind="max_clients_per_address"}'),
      ).toBeGreaterThanOrEqual(150);
    } finally {
      for (const s of sockets) s.destroy();
    }
    const report = await probe.stop();
    expect(report.failures).toEqual([]);
    expect(report.checks).toBeGreaterThan(0);
  });

  it("sniffing has an absolute deadline: a preface dripped byte by byte is closed at --handshake-timeout-ms", async () => {
    const probe = startHealthProbe(server.url);
    const s = await connect(server.port);
    const t0 = Date.now();
    const done = closed(s, t0);
    const sent = await drip(s, PREFACE, 100);
    const { ms } = await done;
    // 24 bytes at one per 100 ms would take 2.4 s; the deadline is 1.5 s from accept.
    expect(sent).toBeLessThan(PREFACE.length);
    expect(ms).toBeGreaterThanOrEqual(1400);
    expect(ms).toBeLessThan(4000);
    const report = await probe.stop();
    expect(report.failures).toEqual([]);
  });

  it("a finished HTTP/2 preface with no stream is closed at --idle-timeout-ms", async () => {
    const s = await connect(server.port);
    const t0 = Date.now();
    const done = closed(s, t0);
    // The preface and an empty SETTINGS frame, then nothing.
    s.write(Buffer.concat([Buffer.from(PREFACE, "latin1"), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]));
    const { ms } = await done;
    expect(ms).toBeGreaterThanOrEqual(1900);
    expect(ms).toBeLessThan(6000);
  });

  it("HTTP/1.1 headers dripped slowly: 408 at --headers-timeout-ms", async () => {
    const s = await connect(server.port);
    const t0 = Date.now();
    const done = closed(s, t0);
    s.write("GET /healthz HTTP/1.1\r\n");
    void drip(s, "X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n", 100);
    const { ms, data } = await done;
    expect(data).toMatch(/^HTTP\/1\.1 408/);
    expect(ms).toBeLessThan(6000);
  });

  it("an HTTP/1.1 body dripped slowly: 408 at --request-timeout-ms", async () => {
    const s = await connect(server.port);
    const t0 = Date.now();
    const done = closed(s, t0);
    s.write(
      "POST /memorabilia.v1.CommandService/Execute HTTP/1.1\r\nHost: x\r\nContent-Type: application/proto\r\nContent-Length: 1000\r\n\r\n",
    );
    void drip(s, "x".repeat(1000), 100);
    const { ms, data } = await done;
    expect(data).toMatch(/408|deadline/i);
    expect(ms).toBeLessThan(8000);
  });

  it("an idle HTTP/1.1 keep-alive connection is closed at --idle-timeout-ms", async () => {
    const s = await connect(server.port);
    const t0 = Date.now();
    const done = closed(s, t0);
    s.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    const { ms, data } = await done;
    expect(data).toMatch(/^HTTP\/1\.1 200/);
    expect(ms).toBeGreaterThanOrEqual(1900);
    expect(ms).toBeLessThan(6000);
  });
});

describe("total cap and shutdown", () => {
  it("--max-clients refuses connections past the cap, and they are served again once others close", async () => {
    const server = await startBundledServer(["--max-clients", "20", "--max-clients-per-address", "0"]);
    const sockets: net.Socket[] = [];
    try {
      const closes: Promise<unknown>[] = [];
      for (let i = 0; i < 40; i++) {
        const s = await connect(server.port, `127.0.0.${3 + (i % 5)}`);
        s.on("error", () => {});
        sockets.push(s);
        closes.push(once(s, "close"));
      }
      await Promise.all(closes.slice(20));
      expect(sockets.slice(0, 20).every((s) => !s.destroyed)).toBe(true);
      for (const s of sockets) s.destroy();
      await Promise.all(closes.slice(0, 20));
      // The server sees those closes a moment after the client does: retry until it has.
      let status = 0;
      for (let i = 0; i < 50 && status !== 200; i++)
        status = await fetch(`${server.url}/healthz`).then(
          (r) => r.status,
          () => new Promise<number>((r) => setTimeout(() => r(0), 100)),
        );
      expect(status).toBe(200);
    } finally {
      for (const s of sockets) s.destroy();
      await server.stop();
    }
  });

  it("shutdown does not wait on idle keep-alive connections or idle HTTP/2 sessions", async () => {
    const server = await startBundledServer([]);
    const sockets: net.Socket[] = [];
    try {
      for (let i = 0; i < 50; i++) {
        const h1 = await connect(server.port);
        h1.on("error", () => {});
        h1.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
        await once(h1, "data");
        sockets.push(h1);
        const h2 = await connect(server.port);
        h2.on("error", () => {});
        h2.write(Buffer.concat([Buffer.from(PREFACE, "latin1"), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]));
        sockets.push(h2);
        // A connection still being sniffed.
        const sniffing = await connect(server.port);
        sniffing.on("error", () => {});
        sniffing.write("PRI * HT");
        sockets.push(sniffing);
      }
      const t0 = Date.now();
      const code = await server.stop("SIGTERM");
      const ms = Date.now() - t0;
      expect(code).toBe(0);
      // The default --shutdown-timeout-ms is 10 s: idle connections must not hold the process that long.
      expect(ms).toBeLessThan(3000);
    } finally {
      for (const s of sockets) s.destroy();
      await server.stop();
    }
  });
});

describe("the TLS port", () => {
  it("caps connections per address, drops a stalled handshake, closes idle sessions, and serves", async () => {
    const { key, cert, ca } = selfSignedCert("mem-conn-tls-");
    const server = await startBundledServer([
      ...["--tls-cert", cert, "--tls-key", key],
      ...["--max-clients-per-address", "5", "--handshake-timeout-ms", "1500", "--idle-timeout-ms", "2000"],
    ]);
    const sockets: net.Socket[] = [];
    try {
      const closes: Promise<unknown>[] = [];
      for (let i = 0; i < 10; i++) {
        const s = await connect(server.port);
        s.on("error", () => {});
        sockets.push(s);
        closes.push(once(s, "close"));
      }
      // Five are reset at accept; the five kept never start TLS, and the handshake deadline closes them.
      await Promise.all(closes.slice(5));
      const t0 = Date.now();
      await Promise.all(closes.slice(0, 5));
      expect(Date.now() - t0).toBeLessThan(5000);
      // A TLS HTTP/2 session with no stream is closed at the idle timeout; the port still serves.
      const session = openH2Session(server.url, { connect: { ca } });
      await once(session, "connect");
      const opened = Date.now();
      await once(session, "close");
      expect(Date.now() - opened).toBeGreaterThanOrEqual(1900);
      const health = createClient(Health, createGrpcTransport({ baseUrl: server.url, nodeOptions: { ca } }));
      expect((await health.check({ service: "" }, { timeoutMs: 5000 })).status).toBe(
        HealthCheckResponse_ServingStatus.SERVING,
      );
    } finally {
      for (const s of sockets) s.destroy();
      await server.stop();
    }
  });
});
