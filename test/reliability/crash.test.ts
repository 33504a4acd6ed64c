/**
 * Crash test: clients write continuously over gRPC (the fast lane), Connect and gRPC-Web, the
 * bundled server is killed with SIGKILL at random moments, and after each restart every
 * acknowledged write must be there — in every fsync mode (a process crash loses nothing
 * acknowledged; only a power loss may, in `everysec`/`no`). Nothing unacknowledged may be corrupt.
 * `MEMORABILIA_LONG=1` runs more rounds.
 */
import { rmSync } from "node:fs";
import type { Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, describe, expect, it } from "vitest";
import { bundleEntry } from "../bench/bundle.js";
import { type ServerProcess, startServerProcess } from "../support/server-process.js";
import { commandClient, tempDir } from "./support.js";

const LONG = process.env.MEMORABILIA_LONG === "1";
const ROUNDS = LONG ? 10 : 3;
const WRITERS = 9;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The bundle, as `npm start` runs it (its own file name: other suites may rebuild theirs). */
const bundle = (): string => bundleEntry("server/main.ts", "server-crash-test");

const valueFor = (round: number, writer: number, i: number): string =>
  `r${round}-w${writer}-i${i}-${"x".repeat((i * 7) % 200)}`;

/** The write order of a value from {@link valueFor}: by round, then by index. */
const order = (value: string): number => {
  const m = /^r(\d+)-w\d+-i(\d+)-/.exec(value);
  if (!m) throw new Error(`not a crash-test value: ${value.slice(0, 40)}`);
  return Number(m[1]) * 1e9 + Number(m[2]);
};

/** One transport per writer, round-robin over the protocols (and both gRPC lanes' paths). */
const transportFor = (url: string, w: number): Transport =>
  w % 3 === 0
    ? createGrpcTransport({ baseUrl: url })
    : w % 3 === 1
      ? createConnectTransport({ baseUrl: url, httpVersion: "2" })
      : createGrpcWebTransport({ baseUrl: url, httpVersion: "1.1" });

interface Round {
  acked: Map<string, string>;
  /** Every value sent for each key this round, acknowledged or not. */
  attempted: Map<string, string[]>;
}

/** Writes from several clients until the server dies; returns what was acknowledged. */
async function writeUntilKilled(server: ServerProcess, round: number, killAfterMs: number): Promise<Round> {
  const acked = new Map<string, string>();
  const attempted = new Map<string, string[]>();
  let alive = true;
  const writer = async (w: number): Promise<void> => {
    const exec = commandClient(transportFor(server.url, w));
    for (let i = 0; alive; i++) {
      // Fresh keys plus overwrites of a few hot keys (the last acked value must win).
      const key = i % 5 === 4 ? `hot:${w}` : `k:${round}:${w}:${i}`;
      const value = valueFor(round, w, i);
      // Every value sent is recorded (not just the last): a hot key may hold an earlier,
      // acknowledged value when a later write was cut off by the kill.
      attempted.set(key, [...(attempted.get(key) ?? []), value]);
      try {
        const r = await exec("SET", key, value);
        if (r !== "OK") throw new Error(`unexpected reply ${JSON.stringify(r)}`);
        acked.set(key, value);
      } catch {
        return; // the server died under us
      }
    }
  };
  const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
  // Kill at a random moment once writes are flowing.
  const deadline = Date.now() + 15_000;
  while (acked.size < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, killAfterMs));
  await server.stop("SIGKILL");
  alive = false;
  await Promise.all(writers);
  return { acked, attempted };
}

describe.each(["always", "everysec", "no"] as const)("crash test (SIGKILL while writing, --fsync %s)", (fsync) => {
  it(
    `every acknowledged write survives ${ROUNDS} kills, nothing is corrupt`,
    async () => {
      const dir = tempDir(`crash-${fsync}`);
      dirs.push(dir);
      const args = ["--data-dir", dir, "--fsync", fsync, "--snapshot-min-log-bytes", String(256 * 1024)];
      const everAcked = new Map<string, string>();
      const everAttempted = new Map<string, string[]>();
      let writes = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const server = await startServerProcess(args, {}, bundle());
        const r = await writeUntilKilled(server, round, Math.floor(Math.random() * 800));
        writes += r.acked.size;
        for (const [k, v] of r.acked) everAcked.set(k, v);
        for (const [k, vs] of r.attempted) everAttempted.set(k, [...(everAttempted.get(k) ?? []), ...vs]);
      }
      const server = await startServerProcess(args, {}, bundle());
      try {
        const exec = commandClient(createGrpcTransport({ baseUrl: server.url }));
        let lost = 0;
        for (const [k, v] of everAcked) {
          const got = await exec("GET", k);
          // An acknowledged value is present, or a LATER attempted write to the same key replaced it
          // (never an older one: that would be a lost acknowledged write).
          const sent = everAttempted.get(k) ?? [];
          const laterWrite = sent.includes(got as string) && order(got as string) > order(v);
          if (got !== v && !laterWrite) lost++;
        }
        // Nothing unacknowledged is corrupt: every key holds a value some client sent for it.
        const keys = (await exec("KEYS", "*")) as string[];
        for (const k of keys) {
          const got = (await exec("GET", k)) as string;
          expect(everAttempted.get(k) ?? []).toContain(got);
        }
        console.info(
          `crash test --fsync ${fsync}: ${ROUNDS} SIGKILLs, ${writes} acknowledged writes, ${keys.length} keys after restart, ${lost} lost`,
        );
        expect(lost).toBe(0);
        expect(writes).toBeGreaterThan(ROUNDS * 20);
      } finally {
        await server.stop();
      }
    },
    60_000 + ROUNDS * 30_000,
  );
});
