/**
 * `npm run bench -- --only=gate`: what the request gate and authentication cost per call (issue
 * 12). Server CPU per unary GET (gRPC over h2c on the fast lane, Connect over HTTP/1.1 on the web
 * lane) on three servers started alike: no token configured (protected mode: the gate checks the
 * loopback address only), one bearer token (the gate hashes the secret and compares it in
 * constant time; the auth interceptor takes the gate's caller from the context), and 100 tokens
 * (the comparison visits every token: no early exit). Rounds interleave the targets, the first
 * rotating per round; each sample carries the server's CPU time from /proc. Beside them, in this
 * process, the token lookup alone (`TokenRegistry.authenticate`, 1 and 100 tokens): what the gate
 * adds to a call, and what the second check of every call cost before the gate's caller was
 * handed to the auth interceptor.
 */
import * as http from "node:http";
import * as http2 from "node:http2";
import { loadTokens } from "../../server/auth/tokens.js";
import { type LoadBounds, timedLoad } from "./load.js";
import { type Started, startMemorabilia } from "./processes.js";
import type { Sample } from "./stats.js";
import { GET, h1Call, h2Call, PATH } from "./transport.js";

/** Sizes of the gate part. */
export interface GateBenchOptions {
  readonly rounds: number;
  readonly bounds: LoadBounds;
  readonly onProgress: (what: string) => void;
  readonly notes: string[];
}

/** The group of this part's rows. */
export const GATE_GROUP = "gate";
/** The anchor row: no token configured. */
export const GATE_ANCHOR = "no token (protected mode)";

const SECRET = "bench-gate-secret-0123456789";

/** `TokenRegistry.authenticate` of a valid secret with `tokens` configured, in this process, for `ms`. */
function lookupSample(tokens: number, round: number, ms: number): Sample {
  const specs = [`bench:admin:${SECRET}`];
  for (let i = 1; i < tokens; i++) specs.push(`other${i}:readonly:bench-gate-other-${i}-0123456789`);
  const registry = loadTokens(specs, undefined);
  let ops = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    for (let i = 0; i < 100; i++) if (registry.authenticate(SECRET) !== undefined) ops++;
  }
  const seconds = (performance.now() - t0) / 1000;
  return {
    group: GATE_GROUP,
    op: "token lookup",
    target: `in process: ${tokens} token(s) configured`,
    round,
    ops,
    seconds,
  };
}

/** Runs the part; returns its samples (group {@link GATE_GROUP}). */
export async function runGate(options: GateBenchOptions): Promise<Sample[]> {
  const started: Started[] = [];
  const sessions: http2.ClientHttp2Session[] = [];
  const agents: http.Agent[] = [];
  try {
    options.onProgress("gate: starting three servers (no token, 1 token, 100 tokens)");
    const many = Array.from({ length: 99 }, (_, i) => [
      "--token",
      `other${i}:readonly:bench-gate-other-${i}-0123456789`,
    ]);
    const servers: [string, string[], Record<string, string>][] = [
      [GATE_ANCHOR, [], {}],
      ["1 bearer token", ["--token", `bench:admin:${SECRET}`], { authorization: `Bearer ${SECRET}` }],
      [
        "100 bearer tokens",
        ["--token", `bench:admin:${SECRET}`, ...many.flat()],
        { authorization: `Bearer ${SECRET}` },
      ],
    ];
    const targets: { name: string; pid: number; call: () => Promise<number> }[] = [];
    for (const [name, args, auth] of servers) {
      const s = await startMemorabilia(args);
      started.push(s);
      const session = http2.connect(`http://127.0.0.1:${s.port}`);
      session.on("error", () => {});
      sessions.push(session);
      const agent = new http.Agent({ keepAlive: true, maxSockets: options.bounds.concurrency });
      agents.push(agent);
      targets.push(
        { name: `${name}: gRPC h2c`, pid: s.pid, call: () => h2Call(session, "grpc", PATH, GET, auth) },
        {
          name: `${name}: Connect HTTP/1.1`,
          pid: s.pid,
          call: () => h1Call(agent, s.port, "connect", PATH, GET, auth),
        },
      );
    }
    for (const t of targets) await t.call();
    const samples: Sample[] = [];
    for (let round = 0; round < options.rounds; round++) {
      for (const n of [1, 100]) samples.push(lookupSample(n, round, Math.min(options.bounds.maxMs, 500)));
      for (let k = 0; k < targets.length; k++) {
        const t = targets[(k + round) % targets.length] as (typeof targets)[number];
        options.onProgress(`gate: GET ${t.name} (round ${round + 1}/${options.rounds})`);
        try {
          samples.push(
            await timedLoad(t.call, options.bounds, t.pid, { group: GATE_GROUP, op: "GET", target: t.name, round }),
          );
        } catch (error) {
          options.notes.push(`gate GET ${t.name}, round ${round + 1}: failed (${String(error).split("\n")[0]})`);
        }
      }
    }
    return samples;
  } finally {
    for (const s of sessions) s.close();
    for (const a of agents) a.destroy();
    for (const s of started) await s.stop();
  }
}
