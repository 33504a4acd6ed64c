/**
 * Where a pipelined RESP command's CPU goes, in process (no kernel, no client): redis-benchmark's
 * `-P 16` traffic (16 commands per read, 50 connections, `-r 100000` keys) fed to RespConnection
 * over a fake socket, as resp-socket.ts delivers reads (one lent buffer), and to the pieces under
 * it. CPU time per command, min and median of several rounds; the pieces are run interleaved
 * with the whole so load drifts hit them alike.
 *
 *   npx esbuild test/bench/resp-inprocess.ts --bundle --platform=node --format=esm \
 *     --packages=external --outfile=dist/resp-inprocess.mjs && node dist/resp-inprocess.mjs [--port] [--keys=N] [rounds] [ops...]
 *
 * Not part of `npm run bench` (no verdict): a probe for the RESP bench's `-P 16` rows.
 */
import type { Socket } from "node:net";
import { loadavg } from "node:os";
import { latin1 } from "../../server/resp/latin1.js";
import { RespConnection } from "../../server/resp/resp-connection.js";
import type { RespHost } from "../../server/resp/resp-host.js";
import { createStore, type Store } from "../../shared/store/store.js";
import { FakeRespSocket, fakeRespHost } from "../support/fake-resp.js";

const PIPELINE = 16;
const CLIENTS = 50;
/** The store there has no deadlines, so the lookups never read it. */
const ZERO_CLOCK = { now: (): number => 0 };
/** Keys per prefix (redis-benchmark's `-r`); `--keys=N` changes it (16: the RESP layer without the lookup's misses). */
const KEYSPACE = Number(process.argv.find((a) => a.startsWith("--keys="))?.slice(7) ?? 100_000);
const COMMANDS = 320_000;
/** Distinct reads prepared per workload (cycled): enough that keys repeat rarely within a round. */
const READS = 4096;

/** A socket that counts what it is given and always reports it written out. */
class FakeSocket extends FakeRespSocket {
  bytes = 0;
  readonly writableLength = 0;
  write(b: Buffer): boolean {
    this.bytes += b.length;
    return true;
  }
}

const hostOf = (store: Store): RespHost =>
  fakeRespHost(store, { maxArgs: 1_048_576, maxBulkBytes: 512 << 20, maxRequestBytes: 512 << 20 });

const frame = (argv: string[]): string => `*${argv.length}\r\n${argv.map((a) => `$${a.length}\r\n${a}\r\n`).join("")}`;
/** redis-benchmark's `__rand_int__`: 12 digits, zero-padded. */
const rand = (): string => String(Math.floor(Math.random() * KEYSPACE)).padStart(12, "0");

/** redis-benchmark's commands (its `-t` templates). */
const WORKLOADS: Record<string, () => string[]> = {
  GET: () => ["GET", `key:${rand()}`],
  SET: () => ["SET", `key:${rand()}`, "xxx"],
  INCR: () => ["INCR", `counter:${rand()}`],
  LPUSH: () => ["LPUSH", "mylist", "xxx"],
  PING: () => ["PING"],
};

function reads(op: string): Buffer[] {
  const make = WORKLOADS[op] as () => string[];
  const out: Buffer[] = [];
  for (let r = 0; r < READS; r++) {
    let s = "";
    for (let k = 0; k < PIPELINE; k++) s += frame(make());
    out.push(Buffer.from(s, "latin1"));
  }
  return out;
}

/** CPU ns per command of `fn` run over `n` commands. */
function cpuNs(n: number, fn: () => void): number {
  const t0 = process.cpuUsage();
  fn();
  const t = process.cpuUsage(t0);
  return ((t.user + t.system) * 1000) / n;
}

/** The whole port: reads into one lent buffer, parsed, run, replies written. */
function portRound(conns: RespConnection[], data: Buffer[]): number {
  const lent = Buffer.allocUnsafe(64 * 1024);
  return cpuNs(COMMANDS, () => {
    const reads = COMMANDS / PIPELINE;
    for (let r = 0; r < reads; r++) {
      const src = data[r % data.length] as Buffer;
      src.copy(lent);
      (conns[r % CLIENTS] as RespConnection).received(lent.subarray(0, src.length));
    }
  });
}

/** The keys of `data`'s commands as Buffers' [start, end) (the argv[1] of each). */
function keyOffsets(data: Buffer[]): { buf: Buffer; at: number[] }[] {
  return data.map((buf) => {
    const at: number[] = [];
    const s = buf.toString("latin1");
    let i = 0;
    for (;;) {
      const star = s.indexOf("*", i);
      if (star < 0) break;
      const lines = s.slice(star).split("\r\n");
      // *N, $len, name, $len, key
      const keyLen = Number((lines[3] as string).slice(1));
      const keyStart =
        star +
        (lines[0] as string).length +
        (lines[1] as string).length +
        (lines[2] as string).length +
        (lines[3] as string).length +
        8;
      at.push(keyStart, keyStart + keyLen);
      i = keyStart + keyLen;
    }
    return { buf, at };
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const fmt = (xs: number[]): string => `${Math.round(Math.min(...xs))}–${Math.round(median(xs))}`;

function main(): void {
  const args = process.argv.slice(2);
  // --port: the whole port only (no pieces), for A/B runs of two builds.
  const portOnly = args.includes("--port");
  const rest = args.filter((a) => a !== "--port" && !a.startsWith("--keys="));
  const rounds = Number(rest[0] ?? 7);
  const ops = rest.slice(1).length > 0 ? rest.slice(1) : ["GET", "SET", "INCR", "LPUSH", "PING"];
  const store = createStore();
  for (let i = 0; i < KEYSPACE; i++) {
    const n = String(i).padStart(12, "0");
    store.execSync(["SET", `key:${n}`, "xxx"]);
    store.execSync(["SET", `counter:${n}`, "1"]);
  }
  const host = hostOf(store);
  const conns = Array.from(
    { length: CLIENTS },
    () => new RespConnection(new FakeSocket() as unknown as Socket, host, true),
  );
  const data = Object.fromEntries(ops.map((op) => [op, reads(op)]));
  const rows: Record<string, number[]> = {};
  const add = (name: string, v: number): void => {
    (rows[name] ??= []).push(v);
  };
  for (let round = 0; round < rounds; round++) {
    for (const op of ops) {
      const d = data[op] as Buffer[];
      add(`${op} port`, portRound(conns, d));
      if (!portOnly && (op === "GET" || op === "INCR" || op === "SET")) {
        // The pieces of the key path: the decode alone, then decode + the table's lookup.
        const offs = keyOffsets(d);
        const n = COMMANDS;
        const sink: string[] = [];
        add(
          `${op} key decode`,
          cpuNs(n, () => {
            for (let r = 0, c = 0; c < n; r++) {
              const { buf, at } = offs[r % offs.length] as { buf: Buffer; at: number[] };
              for (let k = 0; k < at.length; k += 2, c++)
                sink[c & 15] = latin1(buf, at[k] as number, at[k + 1] as number);
            }
          }),
        );
        const local = store.repository.local;
        if (local !== undefined) {
          add(
            `${op} decode+lookup`,
            cpuNs(n, () => {
              for (let r = 0, c = 0; c < n; r++) {
                const { buf, at } = offs[r % offs.length] as { buf: Buffer; at: number[] };
                for (let k = 0; k < at.length; k += 2, c++)
                  local.lookupAt(latin1(buf, at[k] as number, at[k + 1] as number), ZERO_CLOCK);
              }
            }),
          );
          // The same keys already decoded (hashed once, on the first round): the lookup alone.
          const decoded = offs.map(({ buf, at }) => {
            const ks: string[] = [];
            for (let k = 0; k < at.length; k += 2) ks.push(latin1(buf, at[k] as number, at[k + 1] as number));
            return ks;
          });
          for (const ks of decoded) for (const k of ks) local.lookupAt(k, ZERO_CLOCK);
          add(
            `${op} lookup (hashed)`,
            cpuNs(n, () => {
              for (let r = 0, c = 0; c < n; r++) {
                const ks = decoded[r % decoded.length] as string[];
                for (let k = 0; k < ks.length; k++, c++) local.lookupAt(ks[k] as string, ZERO_CLOCK);
              }
            }),
          );
          // store.run on argv whose key is fresh (decoded per command), as the port hands it.
          const name = op;
          const extra = op === "SET" ? ["xxx"] : [];
          add(
            `${op} decode+store.run`,
            cpuNs(n, () => {
              for (let r = 0, c = 0; c < n; r++) {
                const { buf, at } = offs[r % offs.length] as { buf: Buffer; at: number[] };
                for (let k = 0; k < at.length; k += 2, c++)
                  store.run([name, latin1(buf, at[k] as number, at[k + 1] as number), ...extra]);
              }
            }),
          );
        }
      }
    }
  }
  console.log(
    `ns/command, min–median of ${rounds} rounds × ${COMMANDS} commands; loadavg ${loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")}`,
  );
  for (const [name, xs] of Object.entries(rows)) console.log(`${name.padEnd(24)} ${fmt(xs)}`);
}

main();
