/**
 * A focused, interleaved A/B probe of the transport's per-call server CPU (issue 14): the bare
 * floor (floor-child.ts) and one or more Memorabilia bundles, all running, driven by the transport
 * part's raw clients (pre-encoded requests), one segment each per round with the order rotating.
 * Prints server CPU µs per call of every segment, each target's median, and its median ratio to
 * the floor over rounds (each round's ratio from adjacent segments), with the load average.
 *
 *   npx tsx test/bench/transport-probe.ts [--lane=grpc-h2c|grpc-tls|grpc-web-h1|connect-h1|grpc-web-tls|connect-tls]
 *     [--ops=GET,SET] [--calls=5000] [--rounds=7] [--base=.bench/base/dist/server.mjs]
 *     [--node-args="--trace-gc"] [--log-dir=.bench/logs] [--server-args="--transport fast"]
 *     [--base-server-args=...] [--base-node-args=...] [--bearer=SECRET]
 *
 * `--base` adds a second server from another bundle (copy `dist/` of another commit and its
 * package.json one level above it). `--node-args` applies to every Memorabilia server (not the
 * floor); `--floor-node-args` to the floor. `--log-dir` keeps each process's output (e.g. of
 * `--trace-gc-nvp`). `--base-server-args`/`--base-node-args` give the base server its own (e.g.
 * the same bundle as `--base`, with auth on one side only); `--bearer` sends `authorization:
 * Bearer SECRET` on every call to a Memorabilia server (not to the floor). The cost of auth:
 * `--base=dist/probe-server.mjs --server-args="--token bench:admin:SECRET" --bearer=SECRET`.
 */
import { spawn } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import * as http from "node:http";
import * as http2 from "node:http2";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { create, toBinary } from "@bufbuild/protobuf";
import { semiSpaceChosen, youngGenerationNodeFlags } from "../../server/young-generation.js";
import { SetRequestSchema } from "../../shared/gen/memorabilia/v1/strings_service_pb.js";
import { selfSignedCert } from "../support/self-signed-cert.js";
import { bundleEntry } from "./bundle.js";
import { probeRounds } from "./probe-rounds.js";
import { freePort, type Started, stopAll, track, waitForLine } from "./processes.js";
import { GET, h1Call, h2Call, PATH, type Protocol } from "./transport.js";

const { values } = parseArgs({
  options: {
    lane: { type: "string", default: "grpc-h2c" },
    ops: { type: "string", default: "GET,SET" },
    calls: { type: "string", default: "5000" },
    concurrency: { type: "string", default: "50" },
    rounds: { type: "string", default: "7" },
    base: { type: "string" },
    "node-args": { type: "string", default: "" },
    "floor-node-args": { type: "string", default: "" },
    "server-args": { type: "string", default: "" },
    "base-server-args": { type: "string" },
    "base-node-args": { type: "string" },
    bearer: { type: "string" },
    "log-dir": { type: "string" },
    "hold-ms": { type: "string", default: "0" },
    "floor-script": { type: "string" },
    "no-server": { type: "boolean", default: false },
  },
});
const split = (s: string) => s.split(" ").filter((x) => x !== "");
const lane = values.lane as string;
const tls = lane.endsWith("-tls");
const h1 = lane.endsWith("-h1");
const protocol = lane.replace(/-(h2c|tls|h1)$/, "") as Protocol;
const SET = toBinary(SetRequestSchema, create(SetRequestSchema, { key: "bench:1", value: Buffer.from("vvvvvvvv") }));
const cert = selfSignedCert("memorabilia-transport-probe-");
const logDir = values["log-dir"];
if (logDir) mkdirSync(logDir, { recursive: true });

function keepLog(name: string, child: ReturnType<typeof spawn>): void {
  if (!logDir) return;
  const out = createWriteStream(`${logDir}/${name}.log`);
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
}

async function startFloorProc(): Promise<Started> {
  const bundle = values["floor-script"] ?? bundleEntry("test/bench/floor-child.ts", "bench-floor-child");
  const mode = h1 ? "http1" : tls ? "tls" : "h2c";
  const child = spawn(
    process.execPath,
    [...split(values["floor-node-args"] as string), bundle, mode, ...(tls ? [cert.key, cert.cert] : [])],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout }).on("line", (line) => {
      if (line.startsWith("{")) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once("exit", (code) => reject(new Error(`floor exited with ${code}`)));
  });
  keepLog("floor", child);
  return track("floor", child, port, `http://127.0.0.1:${port}`);
}

async function startServer(
  name: string,
  bundle: string,
  nodeArgs = values["node-args"] as string,
  serverArgs = values["server-args"] as string,
): Promise<Started> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      // As startMemorabilia: the server's own young generation on the command line, so the PID
      // measured is the serving process (a server given none relaunches itself under a relay).
      ...(semiSpaceChosen(split(nodeArgs), undefined) ? [] : youngGenerationNodeFlags()),
      ...split(nodeArgs),
      bundle,
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      ...(tls ? ["--tls-cert", cert.cert, "--tls-key", cert.key] : []),
      ...split(serverArgs),
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const ready = waitForLine(child, /Server listening at (\S+?)"/, name);
  const started = track(name, child, port, `http://127.0.0.1:${port}`);
  await ready;
  keepLog(name, child);
  return started;
}

/** An op's path and request message (HEALTH: grpc.health.v1.Health/Check, an empty request). */
const target = (op: string): [string, Uint8Array] =>
  op === "GET"
    ? [PATH, GET]
    : op === "SET"
      ? ["/memorabilia.v1.StringsService/Set", SET]
      : ["/grpc.health.v1.Health/Check", new Uint8Array(0)];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const fmt = (n: number) => n.toFixed(1);

async function main() {
  const floor = await startFloorProc();
  const servers: Started[] = values["no-server"]
    ? []
    : [await startServer("new", bundleEntry("server/main.ts", "probe-server"))];
  if (values.base)
    servers.push(
      await startServer(
        "base",
        values.base,
        values["base-node-args"] ?? (values["node-args"] as string),
        values["base-server-args"] ?? (values["server-args"] as string),
      ),
    );
  const extra: Record<string, string> = values.bearer ? { authorization: `Bearer ${values.bearer}` } : {};
  const sessions: http2.ClientHttp2Session[] = [];
  const agents: http.Agent[] = [];
  const caller = (s: Started, path: string, message: Uint8Array, asProtocol: Protocol) => {
    if (h1) {
      const agent = new http.Agent({ keepAlive: true, maxSockets: Number(values.concurrency) });
      agents.push(agent);
      return () => h1Call(agent, s.port, asProtocol, path, message, s === floor ? {} : extra);
    }
    const session = tls
      ? http2.connect(`https://127.0.0.1:${s.port}`, { ca: cert.ca, servername: "localhost" })
      : http2.connect(`http://127.0.0.1:${s.port}`);
    session.on("error", () => {});
    sessions.push(session);
    return () => h2Call(session, asProtocol, path, message, s === floor ? {} : extra);
  };
  const ops = (values.ops as string).split(",");
  type T = { name: string; op: string; pid: number; call: () => Promise<number> };
  const targets: T[] = [];
  const floorCall = caller(floor, PATH, GET, h1 ? "connect" : "grpc");
  for (const op of ops) {
    targets.push({ name: "floor", op, pid: floor.pid, call: floorCall });
    for (const s of servers)
      targets.push({
        name: s.name,
        op,
        pid: s.pid,
        call: caller(s, ...target(op), protocol),
      });
  }
  const bounds = { concurrency: Number(values.concurrency), maxCalls: Number(values.calls), maxMs: 60_000 };
  const us: Record<string, number[]> = {};
  const ratios: Record<string, number[]> = {};
  const loads: number[] = [];
  const rounds = { rounds: Number(values.rounds), bounds: () => bounds, warmCalls: () => 3000, alternate: true };
  await probeRounds(targets, rounds, ({ round, load, ops: measured }) => {
    loads.push(load);
    const line: string[] = [];
    for (const [op, { order, us: got }] of measured) {
      for (const name of order) (us[`${op} ${name}`] ??= []).push(got[name] as number);
      for (const s of servers) (ratios[`${op} ${s.name}`] ??= []).push((got[s.name] as number) / (got.floor as number));
      line.push(`${op}: ${order.map((name) => `${name} ${fmt(got[name] as number)}`).join(", ")}`);
    }
    console.log(`round ${round + 1} load ${load.toFixed(2)}  ${line.join(" | ")}`);
  });
  console.log(
    `lane ${lane}, ${values.calls} calls/segment, load ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`,
  );
  for (const [k, v] of Object.entries(us)) {
    const r = ratios[k];
    console.log(
      `${k.padEnd(10)} median ${fmt(median(v))} µs (${v.map(fmt).join(" ")})${r ? `  ÷ floor median ${median(r).toFixed(2)}× (${r.map((x) => x.toFixed(2)).join(" ")})` : ""}`,
    );
  }
  for (const s of sessions) s.close();
  for (const a of agents) a.destroy();
  // Keep the servers up a while (e.g. for a diagnostic preload's heap snapshots).
  await new Promise((r) => setTimeout(r, Number(values["hold-ms"])));
}

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => stopAll());
