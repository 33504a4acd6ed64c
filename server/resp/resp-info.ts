/**
 * INFO and CLIENT LIST text for the RESP port: Redis's sections and field names, filled from the
 * store's counters, the port's clients and the host's persistence and eviction figures.
 */
import { randomBytes } from "node:crypto";
import { arch, platform, release } from "node:os";
import type { Bytes } from "../../shared/store/bytes.js";
import type { RespConnection } from "./resp-connection.js";
import type { RespHost } from "./resp-host.js";

/** The Redis version whose protocol and replies the port follows (HELLO, INFO redis_version). */
export const REDIS_COMPAT_VERSION = "7.2.0";

/** A run id for INFO, as Redis makes one per start (40 hex characters). */
const RUN_ID = randomBytes(20).toString("hex");

function human(bytes: number): string {
  const units = ["B", "K", "M", "G", "T"];
  let n = bytes;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${bytes}B` : `${n.toFixed(2)}${units[i]}`;
}

type Section = (host: RespHost) => [string, string | number][];

/** Rate of store commands, sampled between INFO calls (instantaneous_ops_per_sec). */
let lastSample = { atMs: Date.now(), commands: 0 };
let lastRate = 0;

const SECTIONS: Readonly<Record<string, readonly [string, Section]>> = {
  server: [
    "Server",
    (host) => {
      const now = Date.now();
      const uptime = Math.floor((now - host.startedAtMs) / 1000);
      return [
        ["redis_version", REDIS_COMPAT_VERSION],
        ["memorabilia_version", host.version],
        ["redis_mode", "standalone"],
        ["os", `${platform()} ${release()} ${arch()}`],
        ["arch_bits", 64],
        ["multiplexing_api", "libuv"],
        ["process_id", process.pid],
        ["process_supervised", "no"],
        ["run_id", RUN_ID],
        ["tcp_port", host.port()],
        ["server_time_usec", now * 1000],
        ["uptime_in_seconds", uptime],
        ["uptime_in_days", Math.floor(uptime / 86_400)],
        ["executable", process.argv[1] ?? ""],
        ["tls", host.tls ? "yes" : "no"],
      ];
    },
  ],
  clients: [
    "Clients",
    (host) => {
      let pubsub = 0;
      let watching = 0;
      for (const c of host.clients.values()) {
        if (c.subscriber !== undefined && c.subscriber.count > 0) pubsub++;
        if (c.watches.length > 0) watching++;
      }
      return [
        ["connected_clients", host.clients.size],
        ["maxclients", host.settings.maxClients],
        // Every caller blocked in the store: RESP clients and pending RPCs alike.
        ["blocked_clients", host.store.blocked.size],
        ["total_blocking_keys", host.store.blocked.keyCount],
        ["tracking_clients", 0],
        ["pubsub_clients", pubsub],
        ["watching_clients", watching],
      ];
    },
  ],
  memory: [
    "Memory",
    (host) => {
      const m = process.memoryUsage();
      const eviction = host.hostStats.eviction?.();
      const maxmemory = eviction?.maxBytes ?? 0;
      return [
        ["used_memory", m.heapUsed],
        ["used_memory_human", human(m.heapUsed)],
        ["used_memory_rss", m.rss],
        ["used_memory_rss_human", human(m.rss)],
        ["used_memory_dataset", eviction?.usedBytes ?? m.heapUsed],
        ["total_system_memory", 0],
        ["maxmemory", maxmemory],
        ["maxmemory_human", human(maxmemory)],
        ["maxmemory_policy", eviction?.policy ?? host.staticConfig.get("maxmemory-policy") ?? "noeviction"],
        ["mem_allocator", "v8"],
      ];
    },
  ],
  persistence: [
    "Persistence",
    (host) => {
      const p = host.hostStats.persistence?.();
      const s = host.store.stats();
      return [
        ["loading", 0],
        ["async_loading", 0],
        ["rdb_changes_since_last_save", s.dirty],
        ["rdb_bgsave_in_progress", 0],
        ["rdb_last_save_time", Math.floor((p?.lastSnapshotAtMs ?? host.startedAtMs) / 1000)],
        ["aof_enabled", p === undefined ? 0 : 1],
        ["aof_rewrite_in_progress", 0],
        ["aof_last_write_status", p?.lastError === undefined ? "ok" : "err"],
        ...(p === undefined
          ? []
          : ([
              ["aof_current_size", p.logBytes],
              ["aof_fsync", p.fsync],
              ["aof_fsyncs", p.fsyncs],
              ["snapshots", p.snapshots],
            ] as [string, string | number][])),
      ];
    },
  ],
  stats: [
    "Stats",
    (host) => {
      const s = host.store.stats();
      const now = Date.now();
      const commands = s.commands + host.counters.commands;
      if (now - lastSample.atMs >= 1000) {
        lastRate = Math.round(((commands - lastSample.commands) * 1000) / (now - lastSample.atMs));
        lastSample = { atMs: now, commands };
      }
      const eviction = host.hostStats.eviction?.();
      return [
        ["total_connections_received", host.counters.connections],
        ["total_commands_processed", commands],
        ["instantaneous_ops_per_sec", Math.max(0, lastRate)],
        ["rejected_connections", host.counters.rejected],
        ["expired_keys", s.expiredKeys],
        ["evicted_keys", eviction?.evictedKeys ?? 0],
        ["keyspace_hits", s.hits],
        ["keyspace_misses", s.misses],
        ["pubsub_channels", host.hub.channels().length],
        ["pubsub_patterns", host.hub.numpat()],
        ["pubsub_messages_sent", host.counters.pubsubMessages],
        ["total_error_replies", s.errors],
        ["client_output_buffer_limit_disconnections", host.counters.outputLimitDisconnects],
      ];
    },
  ],
  replication: [
    "Replication",
    () => [
      ["role", "master"],
      ["connected_slaves", 0],
    ],
  ],
  cpu: [
    "CPU",
    () => {
      const u = process.cpuUsage();
      return [
        ["used_cpu_sys", (u.system / 1e6).toFixed(6)],
        ["used_cpu_user", (u.user / 1e6).toFixed(6)],
      ];
    },
  ],
  keyspace: [
    "Keyspace",
    (host) => {
      const s = host.store.stats();
      return s.keys > 0 ? [["db0", `keys=${s.keys},expires=${s.keysWithTtl},avg_ttl=0`]] : [];
    },
  ],
};

const DEFAULT = ["server", "clients", "memory", "persistence", "stats", "replication", "cpu", "keyspace"];

/** INFO [section …]: the requested sections (`default`, `all`, `everything` or none: every one). */
export function infoText(host: RespHost, sections: readonly Bytes[]): string {
  const wanted = new Set<string>();
  if (sections.length === 0) for (const s of DEFAULT) wanted.add(s);
  for (const s of sections) {
    const name = s.toLowerCase();
    if (name === "default" || name === "all" || name === "everything") for (const d of DEFAULT) wanted.add(d);
    else wanted.add(name);
  }
  const parts: string[] = [];
  for (const name of DEFAULT) {
    if (!wanted.has(name)) continue;
    const [title, fields] = SECTIONS[name] as readonly [string, Section];
    parts.push(
      `# ${title}\r\n${fields(host)
        .map(([k, v]) => `${k}:${v}\r\n`)
        .join("")}`,
    );
  }
  return parts.join("\r\n");
}

/** One client as CLIENT LIST and CLIENT INFO print it. */
export function clientLine(c: RespConnection): string {
  const now = Date.now();
  const sub = c.subscriber;
  let flags = "";
  if (sub !== undefined && sub.count > 0) flags += "P";
  if (c.multi !== null) flags += "x";
  if (c.blockedBy !== undefined) flags += "b";
  if (flags === "") flags = "N";
  return [
    `id=${c.id}`,
    `addr=${c.address}`,
    `laddr=${c.localAddress}`,
    "fd=-1",
    `name=${c.name}`,
    `age=${Math.floor((now - c.createdAtMs) / 1000)}`,
    `idle=${Math.floor((now - c.lastCommandAtMs) / 1000)}`,
    `flags=${flags}`,
    "db=0",
    `sub=${sub?.channels.size ?? 0}`,
    `psub=${sub?.patterns.size ?? 0}`,
    "ssub=0",
    `multi=${c.multi === null ? -1 : c.multi.length}`,
    `watch=${c.watches.length}`,
    `qbuf=${c.parser.buffered}`,
    `omem=${c.pendingBytes}`,
    `cmd=${c.lastCommand.toLowerCase()}`,
    `user=${c.principal?.name ?? "default"}`,
    `resp=${c.protocol}`,
    `lib-name=${c.libName}`,
    `lib-ver=${c.libVersion}`,
  ].join(" ");
}
