/**
 * Bad input over every protocol: random and mutated protobuf and JSON bodies, wrong content types,
 * huge and deeply nested messages, gzip bombs, an invalid Host header, a huge grpc-timeout. The
 * server must never crash, answer each request with a proper error, not log a stack trace per bad
 * request, and leave the store unchanged (requests carry a read-only token, or none).
 * `MEMORABILIA_LONG=1` sends ten times more.
 */
import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import { gzipSync } from "node:zlib";
import { create, type DescMethod, toBinary } from "@bufbuild/protobuf";
import type { Transport } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MEMORABILIA_SERVICES } from "../../shared/api/register.js";
import { openH2Session } from "../support/h2-client.js";
import { type ServerProcess, startServerProcess } from "../support/server-process.js";
import { commandClient, transports } from "./support.js";

const ADMIN = "fuzz-admin-0123456789";
const RO = "fuzz-readonly-0123456789";
const N = process.env.MEMORABILIA_LONG === "1" ? 10 : 1;
const MAX_REQUEST = 1024 * 1024;

let seed = 12345;
const rnd = (): number => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
const rint = (n: number): number => Math.floor(rnd() * n);
const randomBytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => rint(256)));

const unary: DescMethod[] = MEMORABILIA_SERVICES.flatMap((s) => s.methods.filter((m) => m.methodKind === "unary"));

/** A valid request of `m` with plausible fields, encoded. */
function validBody(m: DescMethod): Uint8Array {
  const init: Record<string, unknown> = {};
  for (const f of m.input.fields) {
    if (f.fieldKind === "scalar" && f.scalar === 9) init[f.localName] = `fz${rint(5)}`;
    if (f.fieldKind === "scalar" && f.scalar === 12) init[f.localName] = new TextEncoder().encode("GET");
    if (f.fieldKind === "list" && f.listKind === "scalar" && f.scalar === 9) init[f.localName] = ["fz1", "fz2"];
  }
  return toBinary(m.input, create(m.input, init as never));
}

function mutate(b: Uint8Array): Buffer {
  const out = Buffer.from(b.length === 0 ? randomBytes(4) : b);
  const flips = 1 + rint(4);
  for (let i = 0; i < flips; i++) out[rint(out.length)] = rint(256);
  return rint(4) === 0 ? out.subarray(0, rint(out.length + 1)) : out;
}

const frame = (payload: Uint8Array, flags = 0): Buffer => {
  const h = Buffer.alloc(5);
  h[0] = flags;
  h.writeUInt32BE(payload.length, 1);
  return Buffer.concat([h, payload]);
};

function nested(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
}

/** One HTTP/1.1 request; resolves with status, headers and body (or the socket error). */
function h1(
  url: string,
  path: string,
  headers: http.OutgoingHttpHeaders,
  body: Buffer | string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer } | { error: string }> {
  return new Promise((resolve) => {
    const u = new URL(url);
    const req = http.request(
      { host: u.hostname, port: u.port, path, method: "POST", headers, timeout: 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on("error", (e) => resolve({ error: e.message }));
      },
    );
    req.on("error", (e) => resolve({ error: e.message }));
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.end(body);
  });
}

/** One gRPC call over h2c; resolves with grpc-status and message (or the stream error). */
function grpc(
  session: http2.ClientHttp2Session,
  path: string,
  headers: http2.OutgoingHttpHeaders,
  body: Buffer,
): Promise<{ grpcStatus: string | undefined; httpStatus: number } | { error: string }> {
  return new Promise((resolve) => {
    const stream = session.request({ ":method": "POST", ":path": path, ...headers });
    let httpStatus = 0;
    let grpcStatus: string | undefined;
    stream.on("response", (h) => {
      httpStatus = Number(h[":status"]);
      if (h["grpc-status"] !== undefined) grpcStatus = String(h["grpc-status"]);
    });
    stream.on("trailers", (t) => {
      if (t["grpc-status"] !== undefined) grpcStatus = String(t["grpc-status"]);
      // A gRPC call ends with its trailers (the server may answer before reading the whole body).
      resolve({ grpcStatus, httpStatus });
      stream.close(http2.constants.NGHTTP2_CANCEL);
    });
    stream.on("data", () => {});
    stream.on("close", () => resolve({ grpcStatus, httpStatus }));
    stream.on("error", (e) => resolve({ error: e.message }));
    stream.setTimeout(10_000, () => stream.close(http2.constants.NGHTTP2_CANCEL));
    stream.end(body);
  });
}

describe("bad input fuzz (every protocol)", () => {
  let server: ServerProcess;
  let checksum: () => Promise<string>;
  beforeAll(async () => {
    server = await startServerProcess([
      "--token",
      `adm:admin:${ADMIN}`,
      "--token",
      `ro:readonly:${RO}`,
      "--max-request-bytes",
      String(MAX_REQUEST),
      // Random tokens from one address would soon be refused unchecked by the login throttle
      // (hostile-auth.test.ts): keep every request reaching the decoders.
      "--auth-failure-burst",
      "0",
    ]);
    const admin = commandClient(transports(server.url, ADMIN)[2]?.[1] as Transport);
    for (let i = 0; i < 5; i++) {
      await admin("SET", `fz${i}`, `value${i}`);
      await admin("RPUSH", `fzl${i}`, "a", "b");
    }
    await admin("SET", "fz1", "v", "PX", "3600000");
    checksum = async () => {
      const keys = ((await admin("KEYS", "*")) as string[]).sort();
      const parts = [JSON.stringify(keys)];
      for (const k of keys) parts.push(`${await admin("TYPE", k)}`);
      parts.push(JSON.stringify(await admin("MGET", ...keys.filter((k) => !k.startsWith("fzl")))));
      for (const k of keys.filter((x) => x.startsWith("fzl")))
        parts.push(JSON.stringify(await admin("LRANGE", k, "0", "-1")));
      return parts.join("|");
    };
  }, 30_000);
  afterAll(async () => {
    await server?.stop();
  });

  it("never crashes, answers every request with a proper error, logs no stack per request, changes nothing", async () => {
    const before = await checksum();
    const logLinesBefore = server.logs.length;
    const session = openH2Session(server.url);
    const counts = { requests: 0, grpc: 0, connect: 0, grpcWeb: 0, improper: [] as string[] };
    const codes = new Map<string, number>();
    const tally = (c: string): void => {
      codes.set(c, (codes.get(c) ?? 0) + 1);
    };
    const auth = (): Record<string, string> =>
      rint(3) === 0
        ? rint(2) === 0
          ? {}
          : { authorization: `Bearer ${randomBytes(8).toString("hex")}` }
        : { authorization: `Bearer ${RO}` };
    const bodies = (m: DescMethod): Buffer[] => [
      randomBytes(rint(64)),
      mutate(validBody(m)),
      Buffer.from(validBody(m)),
      mutate(validBody(m)),
    ];
    const jsons = [
      "{",
      "[]",
      "null",
      '{"key": 5}',
      '{"key": {"a": [1,2,3]}}',
      '{"args": ["U0VU", "!!!not base64"]}',
      '{"unknownField": 1}',
      nested(20_000),
      `{"key": "${"k".repeat(MAX_REQUEST + 10)}"}`,
      '"\\ud800"',
    ];
    for (let round = 0; round < N; round++) {
      for (const m of unary) {
        const path = `/${m.parent.typeName}/${m.name}`;
        // gRPC over h2c: random, mutated and valid frames, bad compressed flag, wrong content type.
        for (const b of bodies(m)) {
          const r = await grpc(
            session,
            path,
            { "content-type": "application/grpc", te: "trailers", ...auth() },
            frame(b),
          );
          counts.requests++;
          counts.grpc++;
          if (!("error" in r)) tally(`grpc:${r.grpcStatus}`);
          if ("error" in r || r.grpcStatus === undefined) counts.improper.push(`grpc ${path}: ${JSON.stringify(r)}`);
        }
        const weird = await grpc(
          session,
          path,
          { "content-type": "application/grpc", ...auth() },
          frame(validBody(m), 1),
        );
        if ("error" in weird || weird.grpcStatus === undefined)
          counts.improper.push(`grpc compressed-flag ${path}: ${JSON.stringify(weird)}`);
        const ct = await grpc(session, path, { "content-type": "text/plain", ...auth() }, frame(validBody(m)));
        if ("error" in ct || ct.httpStatus < 400)
          counts.improper.push(`grpc text/plain ${path}: ${JSON.stringify(ct)}`);
        counts.requests += 2;
        // Connect over HTTP/1.1: proto and JSON bodies.
        for (const b of bodies(m)) {
          const r = await h1(server.url, path, { "content-type": "application/proto", ...auth() }, b);
          counts.requests++;
          counts.connect++;
          if (!("error" in r)) tally(`http:${r.status}`);
          if ("error" in r || (r.status !== 200 && !String(r.headers["content-type"]).includes("json")))
            counts.improper.push(`connect proto ${path}: ${JSON.stringify("error" in r ? r : r.status)}`);
        }
        for (const j of [jsons[rint(jsons.length)] as string, jsons[rint(jsons.length)] as string]) {
          const r = await h1(server.url, path, { "content-type": "application/json", ...auth() }, j);
          counts.requests++;
          counts.connect++;
          if ("error" in r || (r.status !== 200 && !String(r.headers["content-type"]).includes("json")))
            counts.improper.push(`connect json ${path}: ${JSON.stringify("error" in r ? r : r.status)}`);
          if (!("error" in r) && r.status >= 500) counts.improper.push(`connect json ${path}: HTTP ${r.status}`);
        }
        // gRPC-Web over HTTP/1.1.
        const gw = await h1(
          server.url,
          path,
          { "content-type": "application/grpc-web+proto", ...auth() },
          frame(mutate(validBody(m))),
        );
        counts.requests++;
        counts.grpcWeb++;
        if ("error" in gw || (gw.headers["grpc-status"] === undefined && !gw.body.includes("grpc-status")))
          counts.improper.push(`grpc-web ${path}: ${JSON.stringify("error" in gw ? gw : gw.status)}`);
      }
    }
    session.close();
    expect(counts.improper).toEqual([]);
    // Decode failures are INVALID_ARGUMENT, never INTERNAL / HTTP 500.
    expect([...codes.keys()].filter((c) => c === "grpc:13" || c === "grpc:2" || /^http:5/.test(c))).toEqual([]);
    expect(server.child.exitCode).toBe(null);
    expect(await checksum()).toBe(before);
    const newLines = server.logs.slice(logLinesBefore);
    const stacks = newLines.filter((l) => l.includes("    at "));
    console.info(`fuzz answers: ${JSON.stringify(Object.fromEntries([...codes].sort()))}`);
    console.info(
      `fuzz: ${counts.requests} hostile requests (gRPC ${counts.grpc}, Connect ${counts.connect}, gRPC-Web ${counts.grpcWeb}), ${newLines.length} log lines, ${stacks.length} with stacks`,
    );
    expect(stacks.length).toBeLessThanOrEqual(2);
  }, 120_000);

  it("a huge message is refused with RESOURCE_EXHAUSTED (gRPC, Connect, gRPC-Web)", async () => {
    const big = Buffer.alloc(MAX_REQUEST + 100, 0x41);
    const path = "/memorabilia.v1.StringsService/Get";
    const session = openH2Session(server.url);
    const g = await grpc(
      session,
      path,
      { "content-type": "application/grpc", authorization: `Bearer ${RO}` },
      frame(big),
    );
    session.close();
    expect(g).toMatchObject({ grpcStatus: "8" });
    const c = await h1(server.url, path, { "content-type": "application/proto", authorization: `Bearer ${RO}` }, big);
    expect("error" in c ? c : c.status).not.toBe(200);
    if (!("error" in c)) expect(c.body.toString()).toMatch(/resource_exhausted/);
  });

  it("a gzip bomb is refused without inflating it (RESOURCE_EXHAUSTED), the server stays small", async () => {
    const bomb = gzipSync(Buffer.alloc(200 * 1024 * 1024)); // 200 MiB of zeros, ~200 KiB on the wire
    const r = await h1(
      server.url,
      "/memorabilia.v1.StringsService/Get",
      { "content-type": "application/proto", "content-encoding": "gzip", authorization: `Bearer ${RO}` },
      bomb,
    );
    expect("error" in r ? r : r.status).not.toBe(200);
    if (!("error" in r)) expect(r.body.toString()).toMatch(/resource_exhausted/);
    const session = openH2Session(server.url);
    const g = await grpc(
      session,
      "/memorabilia.v1.StringsService/Get",
      { "content-type": "application/grpc", "grpc-encoding": "gzip", authorization: `Bearer ${RO}` },
      frame(bomb, 1),
    );
    session.close();
    expect(g).toMatchObject({ grpcStatus: "8" });
    expect(server.child.exitCode).toBe(null);
  });

  it("an invalid Host header gets a 400, not an empty 200", async () => {
    const u = new URL(server.url);
    const reply = await new Promise<string>((resolve) => {
      const s = net.connect(Number(u.port), u.hostname, () => {
        s.end(
          "POST /memorabilia.v1.StringsService/Get HTTP/1.1\r\nHost: a b c:/\\\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
        );
      });
      let data = "";
      s.on("data", (d) => (data += d.toString()));
      s.on("close", () => resolve(data));
      s.on("error", () => resolve(data));
      s.setTimeout(5000, () => s.destroy());
    });
    expect(reply).toMatch(/^HTTP\/1\.1 4\d\d/);
  });

  it("a 64 KiB grpc-timeout header ends with a grpc-status", async () => {
    const session = openH2Session(server.url, { connect: { maxHeaderListPairs: 1000 } as never });
    const r = await grpc(
      session,
      "/memorabilia.v1.StringsService/Get",
      { "content-type": "application/grpc", "grpc-timeout": `${"9".repeat(65_000)}S`, authorization: `Bearer ${RO}` },
      frame(new Uint8Array()),
    );
    session.close();
    // Either the HTTP/2 layer refuses the header block (stream error) or gRPC answers with a status.
    if (!("error" in r)) expect(r.grpcStatus ?? String(r.httpStatus)).toMatch(/^(3|8|13|431)$/);
    expect(server.child.exitCode).toBe(null);
  });
});
