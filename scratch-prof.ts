// Scratch (not committed): profile the etcd engine server under one workload.
import { create } from "@bufbuild/protobuf";
import { command, createMemorabiliaClient, utf8 } from "./server/client-node.js";
import { CommandSchema } from "./shared/gen/memorabilia/v1/transaction_service_pb.js";
import { startEtcdCluster } from "./test/support/etcd-cluster.js";
import { timedLoad } from "./test/bench/load.js";
import { startMemorabilia } from "./test/bench/processes.js";

const which = (process.argv[2] ?? "mget").split(",");
const prof = process.argv[3] === "prof";
const cluster = await startEtcdCluster();
const value = utf8("v".repeat(16));
const keys100 = (i: number) => Array.from({ length: 100 }, (_, j) => `k${(i * 100 + j) % 1000}`);
try {
  for (const w of which) {
    const server = await startMemorabilia(
      ["--engine", "etcd", "--etcd-endpoints", cluster.endpoints.join(","), "--etcd-prefix", `p/${w}/`],
      prof ? ["--cpu-prof", "--cpu-prof-dir=/tmp/etcdprof", `--cpu-prof-name=${w}.cpuprofile`] : [],
    );
    const client = createMemorabiliaClient({ baseUrl: server.url, defaultTimeoutMs: 30_000 });
    await client.strings.mSet({ entries: Array.from({ length: 1000 }, (_, i) => ({ key: `k${i}`, value })) });
    const call: Record<string, (i: number) => Promise<number>> = {
      mget: async (i) => (await client.strings.mGet({ keys: keys100(i) }), 100),
      mset: async (i) => (await client.strings.mSet({ entries: keys100(i).map((key) => ({ key, value })) }), 100),
      batch: async (i) => (
        await client.transaction.batch({ commands: keys100(i).map((key) => create(CommandSchema, command("get", { key }))) }), 100),
      batchset: async (i) => (
        await client.transaction.batch({ commands: keys100(i).map((key) => create(CommandSchema, command("set", { key, value }))) }), 100),
      get: async (i) => (await client.strings.get({ key: `k${i % 1000}` }), 1),
      set: async (i) => (await client.strings.set({ key: `k${i % 1000}`, value }), 1),
    };
    for (let r = 0; r < 2; r++) {
      const s = await timedLoad(call[w] as (i: number) => Promise<number>, { concurrency: 16, maxCalls: 3000, maxMs: 4000 }, server.pid, { group: "p", op: w, target: "engine", round: r });
      console.log(`${w} round ${r}: ${(s.ops / s.seconds).toFixed(0)} keys/s, server CPU ${((1000 * (s.serverCpuMs ?? 0)) / s.ops).toFixed(2)} us/key, load ${(await import("node:os")).loadavg()[0].toFixed(1)}`);
    }
    client.close();
    await server.stop();
  }
} finally {
  await cluster.stop();
}
