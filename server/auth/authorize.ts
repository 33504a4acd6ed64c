/**
 * Authorization of commands: what a role may run and which keys a token's patterns allow
 * (in the spirit of Redis 6 ACLs and etcd RBAC). Errors are the store's NOPERM, which the API maps
 * to PERMISSION_DENIED.
 */
import type { Bytes } from "../../shared/store/bytes.js";
import { type CommandSpec, commandKeys } from "../../shared/store/command.js";
import { StoreError } from "../../shared/store/errors.js";
import type { Principal } from "./tokens.js";

const GLOB_SPECIAL = /[*?[\\]/;

/** True when every key matching glob `pattern` also matches one of the principal's patterns. */
export function patternCovered(p: Principal, pattern: string): boolean {
  if (p.matchers === null) return true;
  for (const t of p.patterns) {
    if (t === "*" || t === pattern) return true;
    // `prefix*` with a literal prefix covers any pattern that starts with that literal prefix.
    if (t.endsWith("*") && !GLOB_SPECIAL.test(t.slice(0, -1)) && pattern.startsWith(t.slice(0, -1))) return true;
  }
  // A literal key is covered when it matches a pattern.
  if (!GLOB_SPECIAL.test(pattern)) return keyAllowed(p, pattern);
  return false;
}

/** True when `key` matches one of the principal's patterns (or it has none). */
export function keyAllowed(p: Principal, key: Bytes): boolean {
  if (p.matchers === null) return true;
  for (const m of p.matchers) if (m(key)) return true;
  return false;
}

const deny = (p: Principal, what: string): StoreError =>
  new StoreError("NOPERM", `NOPERM token '${p.name}' (${p.role}) has no permissions to ${what}`);

/** The MATCH argument of SCAN (`*` when absent). */
function scanMatch(argv: readonly Bytes[]): Bytes {
  for (let i = 2; i + 1 < argv.length; i++)
    if ((argv[i] as Bytes).toUpperCase() === "MATCH") return argv[i + 1] as Bytes;
  return "*";
}

/** Throws NOPERM unless `p` may run `spec` with `argv`. */
export function authorizeCommand(p: Principal, spec: CommandSpec, argv: readonly Bytes[]): void {
  const flags = spec.flags;
  const write = flags.includes("write");
  const name = spec.name.toLowerCase();
  if (p.role === "admin" && p.matchers === null) return;
  if (flags.includes("admin") && p.role !== "admin") throw deny(p, `run the '${name}' command (admin only)`);
  if (write && p.role === "readonly") throw deny(p, `run the '${name}' command (read-only token)`);
  if (flags.includes("keyspace") && p.matchers !== null) {
    // Whole-keyspace commands: a token limited to some keys may only list keys it covers.
    if (write) throw deny(p, `run the '${name}' command (it touches every key)`);
    if (name === "keys" && patternCovered(p, argv[1] as Bytes)) return;
    if (name === "scan" && patternCovered(p, scanMatch(argv))) return;
    if (name === "dbsize") return;
    throw deny(p, `run '${name}' beyond its key patterns (give a MATCH pattern they cover)`);
  }
  if (flags.includes("keyspace") && write && p.role !== "admin")
    throw deny(p, `run the '${name}' command (admin only)`);
  if (p.matchers === null) return;
  for (const key of commandKeys(spec, argv)) {
    if (!keyAllowed(p, key)) throw deny(p, `access key '${key.slice(0, 128)}' (outside its key patterns)`);
  }
}
