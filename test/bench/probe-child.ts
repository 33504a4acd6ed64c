/**
 * The mass-expiry workload's concurrent client, in a process of its own: a sequential round-trip
 * probe (gRPC Health.Check on Memorabilia, PING on Redis), apart from the bench process, which
 * holds the earlier parts' heaps and whose own collections would otherwise count as stalls.
 *
 * Connects and warms up at once, prints `{"ready":true}`, then for each window from the line `start`
 * on stdin to the line `stop` prints `{"maxMs":…,"medianMs":…,"count":…}`; exits when stdin closes.
 *
 *   node dist/bench-probe-child.mjs grpc <url> | redis <port>
 */
import { createInterface } from "node:readline";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Redis } from "ioredis";
import { Health } from "../../shared/gen/grpc/health/v1/health_pb.js";

const [kind, target] = process.argv.slice(2);
let once: () => Promise<unknown>;
let close: () => void = () => {};
if (kind === "grpc") {
  const health = createClient(Health, createGrpcTransport({ baseUrl: target as string }));
  once = () => health.check({ service: "" });
} else if (kind === "redis") {
  const redis = new Redis({ host: "127.0.0.1", port: Number(target) });
  once = () => redis.ping();
  close = () => redis.disconnect();
} else {
  throw new Error(`usage: probe-child grpc <url> | redis <port> (got ${kind})`);
}

let phase: "warm" | "record" | "exit" = "warm";
createInterface({ input: process.stdin })
  .on("line", (line) => {
    if (line === "start") phase = "record";
    else if (line === "stop") phase = "warm";
  })
  .on("close", () => {
    phase = "exit";
  });

for (let i = 0; i < 200; i++) await once(); // connection and JIT warm-up
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
// Windows: `start` … `stop` prints one result, then the probe keeps the connection warm until the
// next `start`; stdin closing ends it.
// `now()` reads the phase afresh: the stdin listener changes it between awaits.
const now = (): typeof phase => phase;
while (now() !== "exit") {
  while (now() === "warm") await once();
  if (now() !== "record") break;
  const rtts: number[] = [];
  while (now() === "record") {
    const t0 = performance.now();
    await once();
    rtts.push(performance.now() - t0);
  }
  const sorted = rtts.sort((a, b) => a - b);
  process.stdout.write(
    `${JSON.stringify({ maxMs: sorted[sorted.length - 1] ?? Number.NaN, medianMs: sorted[sorted.length >> 1] ?? Number.NaN, count: sorted.length })}\n`,
  );
}
close();
process.exit(0);
