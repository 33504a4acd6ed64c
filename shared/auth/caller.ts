/**
 * Who calls, and what roles and accesses mean: the vocabulary of the one authorization policy
 * every host (the Node server, the edge handler, the RESP port) applies.
 */
import { type Bytes, toBytes } from "../store/bytes.js";
import { compileGlob, type GlobMatcher } from "../store/glob.js";

/** What a token may do, from least to most: read; read and write; everything. */
export type Role = "admin" | "readwrite" | "readonly";

/** Every role. */
export const ROLES: readonly Role[] = ["admin", "readwrite", "readonly"];

/** What an RPC or a command needs, from least to most. */
export type Access = "read" | "write" | "admin";

/** An authenticated caller. */
export interface Caller {
  /** The token's name (for messages and logs; never the secret). */
  readonly name: string;
  readonly role: Role;
  /** Redis globs of the keys it may touch; empty means every key. */
  readonly patterns: readonly string[];
  /** The compiled patterns (null: every key). */
  readonly matchers: readonly GlobMatcher[] | null;
}

/** A caller with its key patterns compiled (blank patterns dropped). */
export function createCaller(name: string, role: Role, patterns: readonly string[] = []): Caller {
  const clean = patterns.map((p) => p.trim()).filter(Boolean);
  return {
    name,
    role,
    patterns: clean,
    matchers: clean.length === 0 ? null : clean.map((p) => compileGlob(toBytes(p))),
  };
}

const RANK: Readonly<Record<Role, number>> = { readonly: 0, readwrite: 1, admin: 2 };
const NEEDS: Readonly<Record<Access, Role>> = { read: "readonly", write: "readwrite", admin: "admin" };

/** True when `role` is at least `needed`. */
export const roleAtLeast = (role: Role, needed: Role): boolean => RANK[role] >= RANK[needed];

/** The least role that has `access`. */
export const roleFor = (access: Access): Role => NEEDS[access];

/** True when `role` has `access`. */
export const roleMay = (role: Role, access: Access): boolean => roleAtLeast(role, NEEDS[access]);

/** The larger of two accesses. */
export const maxAccess = (a: Access, b: Access): Access =>
  a === "admin" || b === "admin" ? "admin" : a === "write" || b === "write" ? "write" : "read";

const GLOB_SPECIAL = /[*?[\\]/;

/** True when `key` matches one of the caller's patterns (or it has none). */
export function keyAllowed(caller: Caller, key: Bytes): boolean {
  if (caller.matchers === null) return true;
  for (const m of caller.matchers) if (m(key)) return true;
  return false;
}

/** True when every key matching glob `pattern` also matches one of the caller's patterns. */
export function patternCovered(caller: Caller, pattern: string): boolean {
  if (caller.matchers === null) return true;
  for (const t of caller.patterns) {
    if (t === "*" || t === pattern) return true;
    // `prefix*` with a literal prefix covers any pattern that starts with that literal prefix.
    if (t.endsWith("*") && !GLOB_SPECIAL.test(t.slice(0, -1)) && pattern.startsWith(t.slice(0, -1))) return true;
  }
  // A literal key is covered when it matches a pattern.
  if (!GLOB_SPECIAL.test(pattern)) return keyAllowed(caller, pattern);
  return false;
}
