/**
 * What the server's young generation (`--young-generation-mb`, server/young-generation.ts) costs
 * the unary path: one server per semi-space size (`dist/server.mjs`, the size on the node command
 * line as the relaunch puts it), the same raw `node:http2` gRPC client on each (50 concurrent
 * streams, pre-encoded requests), Get and Set of one key in segments of `--calls` calls, the
 * sizes interleaved with the first one rotating each round. Per segment: server CPU per call (all
 * threads, /proc schedstat: the GC helpers count) and ops/s; per size: the median and the median
 * of the per-round ratios to the last size given (Node's default, 16, by default), then each
 * server's RSS. Server CPU ratios survive a busy host; ops/s do not.
 *
 *   npx esbuild test/bench/young-generation-probe.ts --bundle --platform=node --format=esm \
 *     --packages=external --outfile=dist/young-generation-probe.mjs
 *   node dist/young-generation-probe.mjs [--sizes=64,32,16] [--rounds=12] [--calls=6000]
 */
import { loadavg } from "node:os";
import { create, toBinary } from "@bufbuild/protobuf";
import { GetRequestSchema, SetRequestSchema } from "../../shared/gen/memorabilia/v1/strings_service_pb.js";
import { cpuMsPrecise, rssBytes, type Started, startMemorabilia, stopAll } from "./processes.js";
import { frame, RawGrpc } from "./raw-grpc.js";

const flag = (name: string, fallback: string): string =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const SIZES = flag("sizes", "64,32,16").split(",").map(Number);
const ROUNDS = Number(flag("rounds", "12"));
const CALLS = Number(flag("calls", "6000"));
const CONCURRENCY = 50;
const S = "/memorabilia.v1.StringsService";
const OPS: [string, Buffer][] = [
  ["Get", frame(toBinary(GetRequestSchema, create(GetRequestSchema, { key: "probe:1" })))],
  ["Set", frame(toBinary(SetRequestSchema, create(SetRequestSchema, { key: "probe:1", value: new Uint8Array(16) })))],
];
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? Number.NaN;

async function segment(server: Started, raw: RawGrpc, path: string, body: Buffer) {
  const c0 = cpuMsPrecise(server.pid) ?? 0;
  const t0 = performance.now();
  let sent = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (sent++ < CALLS) await raw.unary(path, body);
    }),
  );
  const wallS = (performance.now() - t0) / 1000;
  return { usPerCall: (((cpuMsPrecise(server.pid) ?? 0) - c0) * 1000) / CALLS, opsPerS: CALLS / wallS };
}

async function main(): Promise<void> {
  const servers = await Promise.all(SIZES.map((mb) => startMemorabilia([], [`--max-semi-space-size=${mb}`])));
  const raws = servers.map((s) => new RawGrpc(s.url));
  const us = new Map<string, number[]>();
  const ratios = new Map<string, number[]>();
  const push = (m: Map<string, number[]>, k: string, x: number) => m.set(k, [...(m.get(k) ?? []), x]);
  const loads: number[] = [];
  // Warm-up: every server, every call, before anything is recorded.
  for (let i = 0; i < servers.length; i++)
    for (const [op, body] of OPS) await segment(servers[i] as Started, raws[i] as RawGrpc, `${S}/${op}`, body);
  for (let r = 0; r < ROUNDS; r++) {
    loads.push(loadavg()[0] ?? 0);
    for (const [op, body] of OPS) {
      const got: number[] = [];
      for (let k = 0; k < servers.length; k++) {
        const i = (k + r) % servers.length;
        got[i] = (await segment(servers[i] as Started, raws[i] as RawGrpc, `${S}/${op}`, body)).usPerCall;
      }
      const base = got[SIZES.length - 1] as number;
      SIZES.forEach((mb, i) => {
        push(us, `${op} ${mb}`, got[i] as number);
        push(ratios, `${op} ${mb}`, (got[i] as number) / base);
      });
    }
  }
  const baseMb = SIZES[SIZES.length - 1];
  for (const [key, xs] of us)
    console.log(
      `${key.padEnd(8)} MiB semi-space: server µs/call median ${median(xs).toFixed(1)}, ÷ ${baseMb} MiB median ${median(ratios.get(key) ?? []).toFixed(2)} (rounds: ${(ratios.get(key) ?? []).map((x) => x.toFixed(2)).join(" ")})`,
    );
  console.log(
    `RSS MiB after the rounds: ${SIZES.map((mb, i) => `${mb}: ${Math.round((rssBytes((servers[i] as Started).pid) ?? 0) / 2 ** 20)}`).join(", ")}; load ${loads.map((x) => x.toFixed(1)).join(" ")}`,
  );
  for (const raw of raws) raw.close();
  await stopAll();
}

main().catch(async (error: unknown) => {
  console.error(error);
  await stopAll();
  process.exit(1);
});
