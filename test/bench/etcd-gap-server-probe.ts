/**
 * The leader-kill write gap through a server process, as the bench measures it (not part of
 * `npm run bench`): a sequential SET loop through the connect client, the leader SIGKILLed.
 *
 *   npx tsx test/bench/etcd-gap-server-probe.ts [rounds]
 */
import { createMemorabiliaClient, utf8 } from "../../server/client-node.js";
import { startEtcdCluster } from "../support/etcd-cluster.js";
import { startMemorabilia, stopAll } from "./processes.js";

const rounds = Number(process.argv[2] ?? 3);
const cluster = await startEtcdCluster();
const server = await startMemorabilia([
  "--engine",
  "etcd",
  "--etcd-endpoints",
  cluster.endpoints.join(","),
  "--etcd-prefix",
  "gap/",
]);
const client = createMemorabiliaClient({ baseUrl: server.url, defaultTimeoutMs: 30_000 });
const value = utf8("v".repeat(16));
for (let round = 0; round < rounds; round++) {
  let running = true;
  const acks: number[] = [];
  let errors = 0;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      try {
        await client.strings.set({ key: `gap${i % 100}`, value });
        acks.push(performance.now());
      } catch {
        errors++;
      }
    }
  })();
  await new Promise((r) => setTimeout(r, 1500));
  const leader = await cluster.leader();
  const t0 = performance.now();
  await cluster.kill(leader);
  await cluster.waitForLeader(30_000);
  const electionMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 2500));
  running = false;
  await loop;
  let gap = 0;
  let from = 0;
  for (let i = 1; i < acks.length; i++) {
    const g = (acks[i] as number) - (acks[i - 1] as number);
    if (g > gap) [gap, from] = [g, (acks[i - 1] as number) - t0];
  }
  console.log(
    `round ${round + 1}: election ${electionMs.toFixed(0)} ms, gap ${gap.toFixed(0)} ms from ${from.toFixed(0)} (${(gap / electionMs).toFixed(2)}×), ${acks.length} writes, ${errors} errors`,
  );
  await cluster.restart(leader);
  await cluster.waitForLeader(30_000);
}
client.close();
await stopAll();
await cluster.stop();
