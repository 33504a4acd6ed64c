/**
 * Helpers of the fleet tests: Memorabilia server processes (the bundle, `dist/server.mjs`) with
 * `--engine etcd` on a test cluster, and a small raw-command client.
 */
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { createMemorabiliaClient, type NodeMemorabiliaClient } from "../../server/client-node.js";
import { Health } from "../../shared/gen/grpc/health/v1/health_pb.js";
import type { Reply } from "../../shared/gen/memorabilia/v1/command_service_pb.js";
import { serverBundle } from "../bench/bundle.js";
import type { EtcdCluster } from "../support/etcd-cluster.js";
import { type ServerProcess, startServerProcess } from "../support/server-process.js";

/** A plain JS value of a typed reply: null, number, string, array; errors as `{ error }`. */
export function plain(reply: Reply | undefined): unknown {
  const kind = reply?.kind;
  switch (kind?.case) {
    case "nil":
    case undefined:
      return null;
    case "integer":
      return Number(kind.value);
    case "bulk":
      return Buffer.from(kind.value).toString("latin1");
    case "status":
      return kind.value;
    case "double":
      return kind.value;
    case "array":
      return kind.value.elements.map(plain);
    case "error":
      return { error: kind.value.message };
  }
}

/** A server of the fleet with its client. */
export interface FleetServer {
  readonly process: ServerProcess;
  readonly client: NodeMemorabiliaClient;
  /** Runs a raw command; resolves with its plain reply (rejects with the ConnectError). */
  exec(...args: string[]): Promise<unknown>;
  /** grpc.health.v1 status of the whole server ("SERVING" = 1). */
  health(): Promise<number>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `dist/server.mjs --engine etcd` on `cluster` with `prefix` (and `env` added to the environment). */
export async function startFleetServer(
  cluster: Pick<EtcdCluster, "endpoints">,
  prefix: string,
  extra: readonly string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<FleetServer> {
  const process = await startServerProcess(
    ["--engine", "etcd", "--etcd-endpoints", cluster.endpoints.join(","), "--etcd-prefix", prefix, ...extra],
    env,
    serverBundle(),
  );
  const client = createMemorabiliaClient({ baseUrl: process.url, defaultTimeoutMs: 20_000 });
  const health = createClient(Health, createGrpcTransport({ baseUrl: process.url }));
  return {
    process,
    client,
    async exec(...args) {
      const res = await client.command.execute({ args: args.map((a) => Buffer.from(a, "latin1")) });
      return plain(res.reply);
    },
    async health() {
      const res = await health.check({ service: "" }, { timeoutMs: 5000 });
      return res.status;
    },
    async stop(signal = "SIGTERM") {
      client.close();
      await process.stop(signal);
    },
  };
}

/** Polls `check` every 50 ms until it is true; throws after `timeoutMs` with `what`. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
