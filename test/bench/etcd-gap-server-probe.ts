/**
 * The leader-kill write gap through a server process, as the bench measures it (not part of
 * `npm run bench`): a sequential SET loop through the connect client, the leader SIGKILLed.
 *
 *   npx tsx test/bench/etcd-gap-server-probe.ts [rounds] [bundle]
 *
 * `bundle`: another build of the server (e.g. main's `dist/server.mjs`), for an A/B.
 */
import { createMemorabiliaClient, utf8 } from "../../server/client-node.js";
import { startEtcdCluster } from "../support/etcd-cluster.js";
import { leaderKillRound } from "./leader-kill-round.js";
import { startMemorabilia, stopAll } from "./processes.js";

const rounds = Number(process.argv[2] ?? 3);
const bundle = process.argv[3];
const cluster = await startEtcdCluster();
const server = await startMemorabilia(
  ["--engine", "etcd", "--etcd-endpoints", cluster.endpoints.join(","), "--etcd-prefix", "gap/"],
  [],
  bundle,
);
const client = createMemorabiliaClient({ baseUrl: server.url, defaultTimeoutMs: 30_000 });
const value = utf8("v".repeat(16));
for (let round = 0; round < rounds; round++) {
  const r = await leaderKillRound(cluster, (i) => client.strings.set({ key: `gap${i % 100}`, value }));
  console.log(
    `round ${round + 1}: election ${r.electionMs.toFixed(0)} ms, gap ${r.gapMs.toFixed(0)} ms from ${r.gapFromMs.toFixed(0)} (${(r.gapMs / r.electionMs).toFixed(2)}×), ${r.writes} writes, ${r.errors} errors`,
  );
}
client.close();
await stopAll();
await cluster.stop();
