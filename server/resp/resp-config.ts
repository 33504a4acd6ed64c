/**
 * CONFIG GET/SET over the RESP port, for what exists here: the port's own settings
 * (`notify-keyspace-events`, `timeout`, `maxclients`, `client-output-buffer-limit`) can be changed
 * at run time; the server's start-up settings (maxmemory, appendonly, bind, port…) are reported
 * under their Redis names and refused as immutable, as Redis refuses its own.
 */
import type { Bytes } from "../../shared/store/bytes.js";
import { StoreError } from "../../shared/store/errors.js";
import { compileGlob } from "../../shared/store/glob.js";
import { KeyspaceNotifications } from "./keyspace-notifications.js";
import type { RespHost } from "./resp-host.js";

/** A setting CONFIG SET may change: its value as text, and a parser that returns the applier. */
interface Param {
  get(host: RespHost): string;
  /** Validates `value` (throwing Redis's error) and returns what applies it. */
  parse(host: RespHost, value: Bytes, name: string): () => void;
}

function failed(name: string, why: string): StoreError {
  return new StoreError("ERR", `ERR CONFIG SET failed (possibly related to argument '${name}') - ${why}`);
}

function nonNegative(value: Bytes, name: string): number {
  if (!/^\d{1,15}$/.test(value)) throw failed(name, "argument couldn't be parsed into an integer");
  return Number(value);
}

const UNITS: Record<string, number> = { "": 1, b: 1, k: 1000, kb: 1024, m: 1e6, mb: 1024 ** 2, g: 1e9, gb: 1024 ** 3 };

/** A Redis memory size (`32mb`, `1gb`, `100`). */
function memory(value: Bytes, name: string): number {
  const m = /^(\d{1,15})([a-z]*)$/i.exec(value);
  const unit = m === null ? undefined : UNITS[(m[2] as string).toLowerCase()];
  if (m === null || unit === undefined) throw failed(name, "argument must be a memory value");
  return Number(m[1]) * unit;
}

/** A signed integer within [min, max], with Redis's errors. */
function integerBetween(value: Bytes, name: string, min: number, max: string): number {
  if (!/^-?\d{1,18}$/.test(value)) throw failed(name, "argument couldn't be parsed into an integer");
  const n = Number(value);
  if (n < min) throw failed(name, `argument must be between ${min} and ${max} inclusive`);
  return n;
}

const LLONG_MAX = "9223372036854775807";

const PARAMS: Readonly<Record<string, Param>> = {
  // The command log (SLOWLOG, shared with the gRPC hosts and --slowlog-* flags). Redis takes any
  // value below -1 too; it refuses them since 7.0 ("between -1 and …"), as here.
  "slowlog-log-slower-than": {
    get: (host) => String(host.store.commandLog.slowerThan),
    parse: (host, value, name) => {
      const n = integerBetween(value, name, -1, LLONG_MAX);
      return () => {
        host.store.commandLog.slowerThan = n;
      };
    },
  },
  "slowlog-max-len": {
    get: (host) => String(host.store.commandLog.maxLength),
    parse: (host, value, name) => {
      const n = integerBetween(value, name, 0, LLONG_MAX);
      return () => {
        host.store.commandLog.maxLength = n;
      };
    },
  },
  "notify-keyspace-events": {
    get: (host) => host.notifications.value,
    parse: (host, value) => {
      KeyspaceNotifications.check(value);
      return () => host.notifications.set(value);
    },
  },
  timeout: {
    get: (host) => String(host.settings.timeoutSeconds),
    parse: (host, value, name) => {
      const n = nonNegative(value, name);
      return () => {
        host.settings.timeoutSeconds = n;
        host.applyTimeout();
      };
    },
  },
  maxclients: {
    get: (host) => String(host.settings.maxClients),
    parse: (host, value, name) => {
      const n = nonNegative(value, name);
      if (n < 1) throw failed(name, "argument must be between 1 and 4294967295 inclusive");
      return () => {
        host.settings.maxClients = n;
      };
    },
  },
  // One hard limit serves every class here (normal and pubsub); soft limits are accepted and unused.
  "client-output-buffer-limit": {
    get: (host) => {
      const l = host.settings.outputBufferLimit;
      return `normal ${l} 0 0 slave 0 0 0 pubsub ${l} 0 0`;
    },
    parse: (host, value, name) => {
      const words = value.trim().split(/\s+/);
      if (words.length % 4 !== 0 || words.length === 0)
        throw failed(name, "Wrong number of arguments in buffer limit configuration.");
      let hard: number | undefined;
      for (let i = 0; i < words.length; i += 4) {
        const cls = (words[i] as string).toLowerCase();
        if (!["normal", "pubsub", "replica", "slave"].includes(cls))
          throw failed(name, "Invalid client class specified in buffer limit configuration.");
        const h = memory(words[i + 1] as string, name);
        memory(words[i + 2] as string, name);
        nonNegative(words[i + 3] as string, name);
        if (cls === "normal" || cls === "pubsub") hard = hard === undefined ? h : Math.max(hard, h);
      }
      return () => {
        if (hard !== undefined) host.settings.outputBufferLimit = hard;
      };
    },
  },
};

/** CONFIG GET: every parameter matching one of the globs (case-insensitive), each once. */
export function configGet(host: RespHost, patterns: readonly Bytes[]): [string, string][] {
  const matchers = patterns.map((p) => compileGlob(p.toLowerCase()));
  const out: [string, string][] = [];
  const add = (name: string, value: () => string): void => {
    if (matchers.some((m) => m(name))) out.push([name, value()]);
  };
  for (const [name, param] of Object.entries(PARAMS)) add(name, () => param.get(host));
  for (const [name, value] of host.staticConfig) if (PARAMS[name] === undefined) add(name, () => value);
  return out;
}

/** CONFIG SET name value [name value …]: every pair validated before any applies. */
export function configSet(host: RespHost, pairs: readonly Bytes[]): void {
  const apply: (() => void)[] = [];
  const seen = new Set<string>();
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    const name = (pairs[i] as Bytes).toLowerCase();
    const param = PARAMS[name];
    if (param === undefined) {
      if (host.staticConfig.has(name)) throw failed(name, "can't set immutable config");
      throw new StoreError(
        "ERR",
        `ERR Unknown option or number of arguments for CONFIG SET - '${(pairs[i] as Bytes).slice(0, 128)}'`,
      );
    }
    if (seen.has(name)) throw failed(name, "duplicate parameter");
    seen.add(name);
    apply.push(param.parse(host, pairs[i + 1] as Bytes, name));
  }
  for (const f of apply) f();
}
