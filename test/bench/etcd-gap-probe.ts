/**
 * Where a leader kill's write gap goes (not part of `npm run bench`): a Store on the etcd engine
 * in this process, a sequential SET loop, the leader SIGKILLed; prints every etcd KV call around
 * the kill (start, end, endpoint, outcome) and the acknowledgements, relative to the kill.
 *
 *   npx tsx test/bench/etcd-gap-probe.ts [rounds]
 */
import { EtcdRepository } from "../../server/engines/etcd/etcd-repository.js";
import { createStore } from "../../shared/store/store.js";
import { startEtcdCluster } from "../support/etcd-cluster.js";
import { longestGap } from "./leader-kill-round.js";

const rounds = Number(process.argv[2] ?? 1);
const cluster = await startEtcdCluster();
const repo = new EtcdRepository({ endpoints: cluster.endpoints, prefix: "gap/" });
const store = createStore({ repository: repo });
repo.attach({ events: store.events });
await repo.startEvents();
const log: string[] = [];
let t0 = 0;
const at = () => (performance.now() - t0).toFixed(0).padStart(6);
const kv = repo.kv as unknown as Record<string, unknown> & { current: number };
for (const name of ["txn", "range"] as const) {
  const orig = (kv[name] as (...a: unknown[]) => Promise<unknown>).bind(kv);
  kv[name] = (...args: unknown[]) => {
    const start = at();
    const ep = kv.current;
    return orig(...args).then(
      (r) => {
        if (t0 !== 0) log.push(`${start} → ${at()} ${name} @${ep} ok`);
        return r;
      },
      (e: unknown) => {
        if (t0 !== 0) log.push(`${start} → ${at()} ${name} @${ep} ${(e as Error).message}`);
        throw e;
      },
    );
  };
}
for (let round = 0; round < rounds; round++) {
  t0 = 0;
  log.length = 0;
  let running = true;
  const acks: number[] = [];
  const loop = (async () => {
    for (let i = 0; running; i++) {
      try {
        await store.exec(["SET", `gap${i % 100}`, "v"]);
        acks.push(performance.now());
      } catch (e) {
        log.push(`${at()} SET failed: ${(e as Error).message}`);
      }
    }
  })();
  await new Promise((r) => setTimeout(r, 1000));
  const leader = await cluster.leader();
  log.push(`endpoints ${cluster.endpoints.join(" ")}; leader ${leader.clientUrl}; kv current ${kv.current}`);
  t0 = performance.now();
  await cluster.kill(leader);
  log.push(`${at()} killed`);
  await cluster.waitForLeader(30_000);
  const electionMs = performance.now() - t0;
  log.push(`${at()} new leader seen (${(await cluster.leader()).clientUrl})`);
  await new Promise((r) => setTimeout(r, 2500));
  running = false;
  await loop;
  const { gapMs: gap, gapFromMs: gapAt } = longestGap(acks, t0);
  // Only the calls around the gap.
  for (const l of log) {
    const t = Number(l.trim().split(" ")[0]);
    if (!Number.isFinite(t) || (t < gapAt + gap + 5 && !l.endsWith(" ok"))) console.log(l);
  }
  console.log(
    `round ${round + 1}: election ${electionMs.toFixed(0)} ms, gap ${gap.toFixed(0)} ms from ${gapAt.toFixed(0)} (${(gap / electionMs).toFixed(2)}×)`,
  );
  await cluster.restart(leader);
  await cluster.waitForLeader(30_000);
}
await repo.close();
await cluster.stop();
