/**
 * `npm run bench -- --only=transport`: server CPU per unary call for each protocol the server
 * speaks (gRPC over h2c, gRPC-Web and Connect over HTTP/1.1, all three over HTTP/2 with TLS),
 * with `--transport fast` and `--transport connect`, beside the bare floors measured in the same
 * run by the same clients: a `node:http2` server answering a fixed gRPC reply (h2c and TLS) and a
 * `node:http` server answering a fixed reply (floor-child.ts).
 *
 * The clients are raw `node:http`/`node:http2` requests with bodies encoded before the clock starts
 * (a full client library costs as much CPU as the server on 2 cores); each call is checked for
 * success (gRPC status 0, HTTP 200). Each server target is judged against its floor by ratios of
 * adjacent short segments (see {@link runTransport}).
 */
import { spawn } from "node:child_process";
import * as http from "node:http";
import * as http2 from "node:http2";
import { loadavg } from "node:os";
import { createInterface } from "node:readline";
import { create, toBinary } from "@bufbuild/protobuf";
import { GetRequestSchema, SetRequestSchema } from "../../shared/gen/memorabilia/v1/strings_service_pb.js";
import { selfSignedCert } from "../support/self-signed-cert.js";
import { bundleEntry } from "./bundle.js";
import { type LoadBounds, timedLoad } from "./load.js";
import { cpuMsPrecise, type Started, startMemorabilia, track } from "./processes.js";
import type { Sample } from "./stats.js";

/** Sizes of the transport part. */
export interface TransportBenchOptions {
  readonly rounds: number;
  readonly bounds: LoadBounds;
  readonly onProgress: (what: string) => void;
  readonly notes: string[];
}

/** The group of this part's rows (the report compares them with the floors). */
export const TRANSPORT_GROUP = "transport";

/** The floors' target names (the report's anchors). */
export const FLOORS = {
  h2c: "floor: bare node:http2 h2c, fixed gRPC reply",
  http1: "floor: bare node:http HTTP/1.1, fixed reply",
  tls: "floor: bare node:http2 TLS, fixed reply",
} as const;

/** A protocol the server speaks. */
export type Protocol = "grpc" | "grpc-web" | "connect";

/** StringsService.Get's path, and a binary GetRequest for `bench:1`. */
export const PATH = "/memorabilia.v1.StringsService/Get";
const SET_PATH = "/memorabilia.v1.StringsService/Set";
const frame = (m: Uint8Array): Buffer => {
  const b = Buffer.alloc(5 + m.length);
  b.writeUInt32BE(m.length, 1);
  b.set(m, 5);
  return b;
};
export const GET = toBinary(GetRequestSchema, create(GetRequestSchema, { key: "bench:1" }));
const SET = toBinary(SetRequestSchema, create(SetRequestSchema, { key: "bench:1", value: Buffer.from("vvvvvvvv") }));

/** Request headers and body of one unary call in `protocol` (h2 pseudo-headers added by the caller). */
function request(protocol: Protocol, message: Uint8Array): { headers: Record<string, string>; body: Buffer } {
  switch (protocol) {
    case "grpc":
      return { headers: { "content-type": "application/grpc+proto", te: "trailers" }, body: frame(message) };
    case "grpc-web":
      return { headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1" }, body: frame(message) };
    case "connect":
      return {
        headers: { "content-type": "application/proto", "connect-protocol-version": "1" },
        body: Buffer.from(message),
      };
  }
}

// connect-es writes "grpc-status: 0" (a space after the colon, as HTTP headers are written).
const GRPC_WEB_OK = /grpc-status: ?0\r\n/;

/** Whether a response means success in `protocol` (gRPC-Web: the trailer frame in the body, or a trailers-only header). */
function succeeded(protocol: Protocol, status: number, grpcStatus: string | undefined, body: Buffer): boolean {
  if (status !== 200) return false;
  if (protocol === "connect") return true;
  if (grpcStatus !== undefined) return grpcStatus === "0";
  return protocol === "grpc-web" && GRPC_WEB_OK.test(body.toString("latin1"));
}

/** One unary call over an HTTP/2 session (`extra`: more request headers). */
export function h2Call(
  session: http2.ClientHttp2Session,
  protocol: Protocol,
  path: string,
  message: Uint8Array,
  extra: Record<string, string> = {},
) {
  const { headers, body } = request(protocol, message);
  return new Promise<number>((resolve, reject) => {
    const s = session.request({ ":method": "POST", ":path": path, ...headers, ...extra });
    let status = 0;
    let grpcStatus: string | undefined;
    const chunks: Buffer[] = [];
    s.on("response", (h) => {
      status = Number(h[":status"]);
      if (h["grpc-status"] !== undefined) grpcStatus = String(h["grpc-status"]);
    });
    s.on("trailers", (t) => {
      if (t["grpc-status"] !== undefined) grpcStatus = String(t["grpc-status"]);
    });
    s.on("data", (c: Buffer) => chunks.push(c));
    s.on("end", () =>
      succeeded(protocol, status, grpcStatus, Buffer.concat(chunks))
        ? resolve(1)
        : reject(new Error(`${protocol} call failed: HTTP ${status}, grpc-status ${grpcStatus}`)),
    );
    s.on("error", reject);
    s.end(body);
  });
}

/** One unary call over HTTP/1.1 keep-alive (`extra`: more request headers). */
export function h1Call(
  agent: http.Agent,
  port: number,
  protocol: Protocol,
  path: string,
  message: Uint8Array,
  extra: Record<string, string> = {},
) {
  const { headers, body } = request(protocol, message);
  return new Promise<number>((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: "127.0.0.1",
        port,
        method: "POST",
        path,
        headers: { ...headers, ...extra, "content-length": body.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const g = res.headers["grpc-status"];
          succeeded(protocol, res.statusCode ?? 0, g === undefined ? undefined : String(g), Buffer.concat(chunks))
            ? resolve(1)
            : reject(new Error(`${protocol} call failed: HTTP ${res.statusCode}`));
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** A load target of this part: a name, the server's pid, and the call. */
interface Target {
  readonly name: string;
  readonly op: string;
  readonly pid: number;
  readonly call: (i: number) => Promise<number>;
}

/** A server target and the floor it is judged against. */
interface Comparison {
  readonly ours: Target;
  readonly floor: Target;
}

/** One round of one comparison: the floor and the server measured back to back. */
export interface PairedRound {
  readonly round: number;
  /** The host's 1-minute load average when the round started. */
  readonly load: number;
  readonly op: string;
  readonly target: string;
  readonly floor: string;
  /** Server CPU µs per call of the floor's segment and of the server's, adjacent in time. */
  readonly floorUs: number;
  readonly oursUs: number;
  /** oursUs ÷ floorUs. */
  readonly ratio: number;
}

/** What the part measured: samples for the tables, and each round's paired ratios. */
export interface TransportResult {
  readonly samples: Sample[];
  readonly rounds: PairedRound[];
  /** The segment bounds (each side of a pair runs one segment per round). */
  readonly bounds: LoadBounds;
}

/** Starts a floor server (floor-child.ts) and resolves once it listens. */
export async function startFloor(
  mode: "h2c" | "http1" | "tls",
  cert?: { key: string; cert: string },
): Promise<Started> {
  const bundle = bundleEntry("test/bench/floor-child.ts", "bench-floor-child");
  const child = spawn(process.execPath, [bundle, mode, ...(cert ? [cert.key, cert.cert] : [])], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout }).on("line", (line) => {
      if (line.startsWith("{")) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once("exit", (code) => reject(new Error(`floor ${mode} exited with ${code}`)));
  });
  return track(`floor-${mode}`, child, port, `http://127.0.0.1:${port}`);
}

/** The 1-minute load average, rounded to 0.01. */
const loadNow = (): number => Math.round((loadavg()[0] ?? 0) * 100) / 100;

/**
 * Runs the part. Each server target is paired with its floor: in every round the two run one
 * short segment each, back to back (the order flipping every round, the first pair rotating), and
 * the round's ratio is the server's CPU per call over the floor's from those two adjacent
 * segments. A busy host changes both sides of a pair alike, where a floor measured minutes apart
 * from the server varied 3–5× (session 5). CPU is the server process's own (every thread,
 * nanosecond resolution: `cpuMsPrecise`), never the client's.
 */
export async function runTransport(options: TransportBenchOptions): Promise<TransportResult> {
  const cert = selfSignedCert("memorabilia-bench-transport-");
  const started: Started[] = [];
  const sessions: http2.ClientHttp2Session[] = [];
  const agents: http.Agent[] = [];
  const h2 = (port: number, tls: boolean) => {
    const s = tls
      ? http2.connect(`https://127.0.0.1:${port}`, { ca: cert.ca, servername: "localhost" })
      : http2.connect(`http://127.0.0.1:${port}`);
    s.on("error", () => {});
    sessions.push(s);
    return s;
  };
  const h1 = () => {
    const a = new http.Agent({ keepAlive: true, maxSockets: options.bounds.concurrency });
    agents.push(a);
    return a;
  };
  try {
    options.onProgress("transport: starting the floors and four servers (fast/connect × cleartext/TLS)");
    const floorH2c = await startFloor("h2c");
    const floorH1 = await startFloor("http1");
    const floorTls = await startFloor("tls", cert);
    started.push(floorH2c, floorH1, floorTls);
    const servers: Record<string, Started> = {};
    for (const mode of ["fast", "connect"])
      for (const tls of [false, true]) {
        const s = await startMemorabilia([
          "--transport",
          mode,
          ...(tls ? ["--tls-cert", cert.cert, "--tls-key", cert.key] : []),
        ]);
        started.push(s);
        servers[`${mode}${tls ? " tls" : ""}`] = s;
      }
    const fh2c = h2(floorH2c.port, false);
    const fh1 = h1();
    const ftls = h2(floorTls.port, true);
    // The floors answer GET and SET alike; each comparison measures its floor beside it.
    const floors = {
      h2c: (op: string): Target => ({
        name: FLOORS.h2c,
        op,
        pid: floorH2c.pid,
        call: () => h2Call(fh2c, "grpc", PATH, GET),
      }),
      http1: (op: string): Target => ({
        name: FLOORS.http1,
        op,
        pid: floorH1.pid,
        call: () => h1Call(fh1, floorH1.port, "connect", PATH, GET),
      }),
      tls: (op: string): Target => ({
        name: FLOORS.tls,
        op,
        pid: floorTls.pid,
        call: () => h2Call(ftls, "grpc", PATH, GET),
      }),
    };
    const comparisons: Comparison[] = [];
    for (const mode of ["fast", "connect"]) {
      const clear = servers[mode] as Started;
      const secure = servers[`${mode} tls`] as Started;
      const c2 = h2(clear.port, false);
      const a1 = h1();
      const t2 = h2(secure.port, true);
      for (const [op, path, message] of [
        ["GET", PATH, GET],
        ["SET", SET_PATH, SET],
      ] as const) {
        const pair = (floor: Target, name: string, pid: number, call: Target["call"]) =>
          comparisons.push({ floor, ours: { name: `${mode}: ${name}`, op, pid, call } });
        pair(floors.h2c(op), "gRPC h2c", clear.pid, () => h2Call(c2, "grpc", path, message));
        pair(floors.http1(op), "gRPC-Web HTTP/1.1", clear.pid, () => h1Call(a1, clear.port, "grpc-web", path, message));
        pair(floors.http1(op), "Connect HTTP/1.1", clear.pid, () => h1Call(a1, clear.port, "connect", path, message));
        pair(floors.tls(op), "gRPC h2 TLS", secure.pid, () => h2Call(t2, "grpc", path, message));
        pair(floors.tls(op), "gRPC-Web h2 TLS", secure.pid, () => h2Call(t2, "grpc-web", path, message));
        pair(floors.tls(op), "Connect h2 TLS", secure.pid, () => h2Call(t2, "connect", path, message));
      }
    }
    // Warm-up (JIT, connection pools), not measured.
    options.onProgress("transport: warming up every target");
    const warm = { ...options.bounds, maxCalls: Math.min(options.bounds.maxCalls, 3_000) };
    for (const c of comparisons)
      for (const t of [c.floor, c.ours])
        await timedLoad(t.call, warm, undefined, { group: "warm-up", op: t.op, target: t.name, round: -1 }).catch(
          () => {},
        );
    const samples: Sample[] = [];
    const rounds: PairedRound[] = [];
    const measure = (t: Target, round: number) =>
      timedLoad(
        t.call,
        options.bounds,
        t.pid,
        { group: TRANSPORT_GROUP, op: t.op, target: t.name, round },
        cpuMsPrecise,
      );
    const usPerCall = (s: Sample) => ((s.serverCpuMs as number) * 1000) / s.ops;
    for (let round = 0; round < options.rounds; round++) {
      const load = loadNow();
      for (let k = 0; k < comparisons.length; k++) {
        const c = comparisons[(k + round) % comparisons.length] as Comparison;
        options.onProgress(
          `transport: ${c.ours.op} ${c.ours.name} beside its floor (round ${round + 1}/${options.rounds}, load ${load})`,
        );
        try {
          // A B in even rounds, B A in odd ones: neither side always follows the other.
          const first = round % 2 === 0 ? c.floor : c.ours;
          const a = await measure(first, round);
          const b = await measure(first === c.floor ? c.ours : c.floor, round);
          const [floor, ours] = first === c.floor ? [a, b] : [b, a];
          samples.push(floor, ours);
          if (floor.serverCpuMs !== undefined && ours.serverCpuMs !== undefined && floor.ops > 0 && ours.ops > 0)
            rounds.push({
              round,
              load,
              op: c.ours.op,
              target: c.ours.name,
              floor: c.floor.name,
              floorUs: usPerCall(floor),
              oursUs: usPerCall(ours),
              ratio: usPerCall(ours) / usPerCall(floor),
            });
        } catch (error) {
          options.notes.push(
            `transport ${c.ours.op} ${c.ours.name}, round ${round + 1}: failed (${String(error).split("\n")[0]})`,
          );
        }
      }
    }
    return { samples, rounds, bounds: options.bounds };
  } finally {
    for (const s of sessions) s.close();
    for (const a of agents) a.destroy();
    for (const s of started) await s.stop();
  }
}
