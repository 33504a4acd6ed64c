/**
 * Faults under a two-server fleet (`dist/server.mjs --engine etcd`) on a real 3-member cluster:
 * SIGKILL of the etcd leader, then of a follower, under load through both servers; quorum loss and
 * Health; the server running the expiry sweep killed.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EtcdCluster, startEtcdCluster } from "../support/etcd-cluster.js";
import { type FleetServer, startFleetServer, until } from "./support.js";

const SERVING = 1;
const NOT_SERVING = 2;

describe("etcd fleet under faults", () => {
  let cluster: EtcdCluster;
  const servers: FleetServer[] = [];
  let n = 0;
  const start = async (prefix: string) => {
    const s = await startFleetServer(cluster, prefix, ["--etcd-sweeper-ttl", "2"]);
    servers.push(s);
    return s;
  };
  beforeAll(async () => {
    cluster = await startEtcdCluster();
  }, 60_000);
  afterAll(async () => {
    for (const s of servers) await s.stop().catch(() => {});
    await cluster?.stop();
  }, 30_000);

  it("SIGKILL of the leader then a follower under load: every acknowledged write kept, INCR exact, write gap < 5 s", async () => {
    const prefix = `faults/${process.pid}/${++n}/`;
    const a = await start(prefix);
    const b = await start(prefix);
    let running = true;
    const setAcks: { key: string; at: number }[] = [];
    let incrAcks = 0;
    const errors: string[] = [];
    const setLoop = async (s: FleetServer, id: string) => {
      for (let i = 0; running; i++) {
        const key = `f:${id}:${i}`;
        try {
          await s.exec("SET", key, "v");
          setAcks.push({ key, at: Date.now() });
        } catch (e) {
          errors.push(`SET ${String((e as Error).message)}`);
        }
      }
    };
    const incrLoop = async (s: FleetServer) => {
      while (running) {
        try {
          await s.exec("INCR", "f:counter");
          incrAcks++;
        } catch (e) {
          errors.push(`INCR ${String((e as Error).message)}`);
        }
      }
    };
    const loops = [
      setLoop(a, "a1"),
      setLoop(a, "a2"),
      setLoop(b, "b1"),
      setLoop(b, "b2"),
      incrLoop(a),
      incrLoop(a),
      incrLoop(b),
      incrLoop(b),
    ];
    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
    await pause(1500);
    const leader = await cluster.leader();
    const killedAt = Date.now();
    await cluster.kill(leader);
    const next = await cluster.waitForLeader();
    const electionMs = Date.now() - killedAt;
    await pause(2000);
    await cluster.restart(leader);
    await cluster.waitForLeader();
    await pause(1000);
    const follower = await cluster.follower();
    await cluster.kill(follower);
    await pause(2000);
    await cluster.restart(follower);
    await pause(1000);
    running = false;
    await Promise.all(loops);
    expect(next).not.toBe(leader);

    // Every acknowledged SET is readable, through either server.
    const keys = setAcks.map((x) => x.key);
    expect(keys.length).toBeGreaterThan(20);
    for (let i = 0; i < keys.length; i += 200) {
      const chunk = keys.slice(i, i + 200);
      const got = (await (i % 400 === 0 ? a : b).exec("MGET", ...chunk)) as (string | null)[];
      expect(got.filter((v) => v !== "v")).toEqual([]);
    }
    // INCR: the counter is every acknowledged INCR, plus at most those whose failure left the outcome unknown.
    const counter = Number(await a.exec("GET", "f:counter"));
    const incrErrors = errors.filter((e) => e.startsWith("INCR")).length;
    expect(counter).toBeGreaterThanOrEqual(incrAcks);
    expect(counter).toBeLessThanOrEqual(incrAcks + incrErrors);
    // The longest gap between acknowledged writes (the fleet's write outage).
    const times = setAcks.map((x) => x.at).sort((x, y) => x - y);
    let gap = 0;
    for (let i = 1; i < times.length; i++) gap = Math.max(gap, (times[i] as number) - (times[i - 1] as number));
    console.log(
      `leader kill: election ${electionMs} ms, longest write gap ${gap} ms, ${setAcks.length} SETs and ${incrAcks} INCRs acknowledged, counter ${counter}, errors ${errors.length}${errors.length ? `: ${errors.slice(0, 3).join("; ")}` : ""}`,
    );
    expect(gap).toBeLessThan(5000);
    expect(errors).toEqual([]);
    expect(counter).toBe(incrAcks);
  }, 90_000);

  it("Health turns NOT_SERVING on quorum loss, commands fail with UNAVAILABLE (no hang), and both recover", async () => {
    const prefix = `faults/${process.pid}/${++n}/`;
    const a = await start(prefix);
    const b = await start(prefix);
    await a.exec("SET", "q", "before");
    expect(await a.health()).toBe(SERVING);
    const f1 = await cluster.follower();
    await cluster.kill(f1);
    const f2 = await cluster.follower().catch(() => cluster.members.find((m) => m.running && m !== f1));
    const others = cluster.members.filter((m) => m.running && m !== f2);
    const victim = f2 ?? others[0];
    if (victim === undefined) throw new Error("no second member to kill");
    await cluster.kill(victim);
    await until(
      async () => (await a.health()) === NOT_SERVING && (await b.health()) === NOT_SERVING,
      20_000,
      "NOT_SERVING",
    );
    const t0 = Date.now();
    const error = await b.exec("SET", "q", "during").catch((e) => e);
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.Unavailable);
    expect(Date.now() - t0).toBeLessThan(15_000);
    await cluster.restart(f1);
    await cluster.restart(victim);
    await cluster.waitForLeader();
    await until(async () => (await a.health()) === SERVING && (await b.health()) === SERVING, 20_000, "SERVING again");
    expect(await a.exec("GET", "q")).not.toBeNull();
    expect(await b.exec("SET", "q", "after")).toBe("OK");
    expect(await a.exec("GET", "q")).toBe("after");
  }, 90_000);

  it("killing the server that runs the expiry sweep: another takes over and announces the expiry", async () => {
    const prefix = `faults/${process.pid}/${++n}/`;
    const a = await start(prefix);
    const b = await start(prefix);
    const isSweeper = (s: FleetServer) => s.process.logs.some((l) => l.includes("this server runs the expiry sweep"));
    await until(() => isSweeper(a) || isSweeper(b), 20_000, "a sweeper elected");
    const [sweeper, other] = isSweeper(a) ? [a, b] : [b, a];
    await sweeper.stop("SIGKILL");
    const events: string[] = [];
    const abort = new AbortController();
    const stream = (async () => {
      for await (const res of other.client.watch.watch({ pattern: "gone:*" }, { signal: abort.signal, timeoutMs: 0 })) {
        if (res.kind.case === "events") for (const e of res.kind.value.events) events.push(`${e.event} ${e.key}`);
      }
    })().catch(() => {});
    try {
      await other.exec("SET", "gone:1", "v", "PX", "200");
      // The dead server's election lease (2 s) runs out, the survivor is elected and sweeps.
      await until(() => events.includes("expired gone:1"), 30_000, "the expired event from the new sweeper");
      expect(isSweeper(other)).toBe(true);
      expect(await other.exec("EXISTS", "gone:1")).toBe(0);
    } finally {
      abort.abort();
      await stream;
    }
  }, 90_000);
});
