import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus } from "../../shared/gen/grpc/health/v1/health_pb.js";
import { withH2Session } from "../support/h2-client.js";
import { selfSignedCert } from "../support/self-signed-cert.js";
import { type ServerProcess, startServerProcess } from "../support/server-process.js";

const run = promisify(execFile);

describe("one port, three protocols (cleartext)", () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServerProcess(["--cors-origin", "http://console.example"]);
  });
  afterAll(async () => {
    await server?.stop();
  });

  const transports: [string, () => Transport][] = [
    ["gRPC over h2c", () => createGrpcTransport({ baseUrl: server.url })],
    ["gRPC-Web over HTTP/1.1", () => createGrpcWebTransport({ baseUrl: server.url, httpVersion: "1.1" })],
    ["Connect over HTTP/1.1", () => createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" })],
    ["Connect over h2c", () => createConnectTransport({ baseUrl: server.url, httpVersion: "2" })],
  ];

  it.each(transports)("health check over %s", async (_name, transport) => {
    const client = createClient(Health, transport());
    const res = await client.check({ service: "" });
    expect(res.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    await expect(client.check({ service: "no.such.Service" })).rejects.toMatchObject({ code: Code.NotFound });
  });

  it("lists services through reflection with buf curl", async () => {
    const { stdout } = await run("npx", [
      "buf",
      "curl",
      "--protocol",
      "grpc",
      "--http2-prior-knowledge",
      "--list-methods",
      server.url,
    ]);
    expect(stdout).toContain("grpc.health.v1.Health/Check");
    expect(stdout).toContain("grpc.reflection.v1.ServerReflection/ServerReflectionInfo");
  });

  it("calls a method described only by reflection (buf curl, no .proto files)", async () => {
    const { stdout } = await run("npx", [
      "buf",
      "curl",
      "--protocol",
      "grpc",
      "--http2-prior-knowledge",
      "--reflect-protocol",
      "grpc-v1alpha",
      `${server.url}/grpc.health.v1.Health/List`,
    ]);
    expect(JSON.parse(stdout).statuses[""].status).toBe("SERVING");
  });

  it("answers CORS preflights for listed origins with the Connect headers", async () => {
    const res = await fetch(`${server.url}/grpc.health.v1.Health/Check`, {
      method: "OPTIONS",
      headers: {
        origin: "http://console.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type,x-grpc-web,x-user-agent,grpc-timeout",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("http://console.example");
    expect(res.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("x-grpc-web");
  });

  it("gives no CORS grant to an origin that is not listed", async () => {
    const res = await fetch(`${server.url}/grpc.health.v1.Health/Check`, {
      method: "OPTIONS",
      headers: { origin: "http://evil.example", "access-control-request-method": "POST" },
    });
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("serves Prometheus metrics and the console page", async () => {
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain("memorabilia_rpc_requests_total");
    expect(metrics).toContain("memorabilia_keys ");
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
  });

  it("refuses unknown methods with UNIMPLEMENTED/404 and stays up", async () => {
    const res = await fetch(`${server.url}/memorabilia.v1.Nope/Nothing`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(res.status).toBe(404);
    const client = createClient(Health, createGrpcTransport({ baseUrl: server.url }));
    expect((await client.check({})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });

  it("a silent connection is not given a protocol forever (h2 preface sniffing keeps working)", async () => {
    const body = await withH2Session(
      server.url,
      (session) =>
        new Promise<string>((resolve, reject) => {
          const req = session.request({ ":method": "GET", ":path": "/healthz" });
          let data = "";
          req.setEncoding("utf8");
          req.on("data", (d) => (data += d));
          req.on("end", () => resolve(data));
          req.on("error", reject);
        }),
    );
    expect(body).toBe("ok\n");
  });
});

describe("graceful shutdown", () => {
  it("ends in-flight streams, refuses new calls and exits 0 on SIGTERM", async () => {
    const server = await startServerProcess(["--shutdown-timeout-ms", "1500"]);
    const client = createClient(Health, createGrpcTransport({ baseUrl: server.url }));
    const seen: HealthCheckResponse_ServingStatus[] = [];
    const watching = (async () => {
      try {
        for await (const res of client.watch({ service: "" })) seen.push(res.status);
      } catch (error) {
        return ConnectError.from(error).code;
      }
      return "ended";
    })();
    await expect.poll(() => seen.length, { timeout: 5000 }).toBeGreaterThan(0);
    const code = await server.stop("SIGTERM");
    expect(code).toBe(0);
    const outcome = await watching;
    expect(seen[0]).toBe(HealthCheckResponse_ServingStatus.SERVING);
    // The stream saw NOT_SERVING before the server went away, or was ended by it.
    expect(seen.includes(HealthCheckResponse_ServingStatus.NOT_SERVING) || outcome !== undefined).toBe(true);
  });
});

describe("TLS with ALPN on one port", () => {
  let server: ServerProcess;
  let ca: Buffer;
  beforeAll(async () => {
    const { key, cert, ca: trusted } = selfSignedCert("memorabilia-tls-");
    ca = trusted;
    server = await startServerProcess(["--tls-cert", cert, "--tls-key", key]);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("serves gRPC over h2 and Connect over HTTP/1.1 with a self-signed certificate", async () => {
    expect(server.url.startsWith("https://")).toBe(true);
    const grpc = createClient(Health, createGrpcTransport({ baseUrl: server.url, nodeOptions: { ca } }));
    expect((await grpc.check({})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    const connect = createClient(
      Health,
      createConnectTransport({ baseUrl: server.url, httpVersion: "1.1", nodeOptions: { ca } }),
    );
    expect((await connect.check({})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });
});
