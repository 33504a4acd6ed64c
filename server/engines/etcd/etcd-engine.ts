/**
 * `--engine etcd` for the server: builds the {@link EtcdRepository} from the configuration, then,
 * once the store exists, starts the outbox watch (keyspace events from every server), the elected
 * expiry sweeper and the quorum probe that drives Health. app.ts loads this module only with
 * `--engine etcd` (etcd3 and grpc-js cost nothing to a memory-engine server).
 */
import { readFileSync } from "node:fs";
import { type HealthState, ServingStatus } from "../../../shared/api/health.js";
import type { PubSubHub } from "../../../shared/store/pubsub.js";
import type { Store } from "../../../shared/store/store.js";
import type { ServerConfig } from "../../config.js";
import { ConfigError } from "../../config.js";
import { EtcdRepository } from "./etcd-repository.js";
import { EtcdPubSubRelay } from "./pubsub-relay.js";
import { ElectedSweeper } from "./sweeper.js";
import { diagnoseTls } from "./tls-diagnosis.js";

/** A logger (Fastify's). */
interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** The etcd engine of one server. */
export interface EtcdEngine {
  readonly repository: EtcdRepository;
  /** The elected sweeper (undefined before {@link start}). */
  readonly sweeper: ElectedSweeper | undefined;
  /** The Pub/Sub relay (undefined before {@link start}). */
  readonly relay: EtcdPubSubRelay | undefined;
  /**
   * Starts the outbox watch, the Pub/Sub relay on `hub`, the sweeper election and the health probe.
   * Throws ConfigError when etcd cannot be reached.
   */
  start(store: Store, health: HealthState, log: Log, hub: PubSubHub): Promise<void>;
  /** Stops everything and closes the etcd connection. */
  close(): Promise<void>;
}

function readPem(file: string | undefined, flag: string): Buffer | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch (error) {
    throw new ConfigError(`${flag} ${file}: ${(error as Error).message}`);
  }
}

/** Builds the engine from the configuration (no network yet). */
export function createEtcdEngine(config: ServerConfig): EtcdEngine {
  const ca = readPem(config.etcdCa, "--etcd-ca");
  const tlsMaterial =
    ca === undefined
      ? undefined
      : { ca, cert: readPem(config.etcdCert, "--etcd-cert"), key: readPem(config.etcdKey, "--etcd-key") };
  const repository = new EtcdRepository({
    endpoints: config.etcdEndpoints,
    prefix: config.etcdPrefix,
    timeoutMs: config.etcdTimeoutMs,
    retryBudgetMs: config.etcdRetryBudgetMs,
    reads: config.etcdReads,
    cacheKeys: config.etcdCacheKeys,
    user:
      config.etcdUser !== undefined && config.etcdPassword !== undefined
        ? { name: config.etcdUser, password: config.etcdPassword }
        : undefined,
    tls: tlsMaterial,
  });
  let sweeper: ElectedSweeper | undefined;
  let relay: EtcdPubSubRelay | undefined;
  let pubsubHub: PubSubHub | undefined;
  let probe: ReturnType<typeof setInterval> | undefined;
  let closed = false;
  return {
    repository,
    get sweeper() {
      return sweeper;
    },
    get relay() {
      return relay;
    },
    async start(store, health, log, hub) {
      try {
        repository.attach({ events: store.events });
        await repository.startEvents();
        relay = new EtcdPubSubRelay(repository.connection, repository.layout.pubsub, repository.serverId, log);
        await relay.start(hub);
        pubsubHub = hub;
      } catch (error) {
        await repository.close();
        const tls = await diagnoseTls(config.etcdEndpoints[0] as string, tlsMaterial);
        throw new ConfigError(
          `--engine etcd: cannot reach etcd at ${config.etcdEndpoints.join(",")} (${(error as Error).message})${tls === undefined ? "" : `: ${tls}`}`,
        );
      }
      sweeper = new ElectedSweeper(repository, store.clock, { electionTtlS: config.etcdSweeperTtl });
      sweeper.onLeadership = (leading) =>
        log.info(
          { server: repository.serverId, leading },
          leading ? "etcd: this server runs the expiry sweep" : "etcd: this server no longer runs the expiry sweep",
        );
      sweeper.start();
      // Health follows etcd: NOT_SERVING while a linearizable read fails (no quorum, unreachable).
      let serving = true;
      let probing = false;
      let probes = 0;
      probe = setInterval(() => {
        if (probing || closed) return;
        probing = true;
        repository
          .available()
          .then(async (ok) => {
            // Every 10 s, the key counts INFO and /metrics report (a count-only range: O(keys) in etcd).
            if (ok && probes++ % 20 === 0) await repository.countKeys(store.clock.now()).catch(() => {});
            if (closed || ok === serving) return;
            serving = ok;
            health.setAll(ok ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
            if (ok) log.info({}, "etcd: reachable with quorum again: SERVING");
            else log.warn({}, "etcd: unreachable or no quorum: NOT_SERVING");
          })
          .finally(() => {
            probing = false;
          });
      }, 500);
      probe.unref();
      log.info(
        { endpoints: config.etcdEndpoints, prefix: config.etcdPrefix, server: repository.serverId },
        "etcd engine: keyspace shared through etcd",
      );
    },
    async close() {
      closed = true;
      if (probe !== undefined) clearInterval(probe);
      if (pubsubHub !== undefined) await relay?.stop(pubsubHub);
      await sweeper?.stop();
      await repository.close();
    },
  };
}
