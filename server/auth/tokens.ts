/**
 * Bearer tokens: parsing (flag, environment, JSON file) and constant-time lookup.
 *
 * A token is `name:role:secret[:pattern,pattern…]` on the command line or in the environment, or
 * `{ "name", "role", "secret" | "sha256", "patterns" }` in a `--tokens-file`. Only SHA-256 digests
 * of secrets are kept in memory after parsing.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { type Caller, createCaller, ROLES, type Role } from "../../shared/auth/index.js";

export type { Role };

/** An authenticated caller (the shared policy's {@link Caller}). */
export type Principal = Caller;

interface Entry {
  readonly principal: Principal;
  readonly digest: Buffer;
}

/** A token definition error, with a message fit for the terminal (never containing the secret). */
export class TokenError extends Error {
  override readonly name = "TokenError";
}

const sha256 = (s: string): Buffer => createHash("sha256").update(s, "utf8").digest();

function principal(name: string, role: string, patterns: readonly string[], where: string): Principal {
  if (!/^[A-Za-z0-9_.@-]{1,64}$/.test(name))
    throw new TokenError(`${where}: invalid token name ${JSON.stringify(name)}`);
  if (!ROLES.includes(role as Role))
    throw new TokenError(
      `${where}: token ${name}: role must be admin, readwrite or readonly, got ${JSON.stringify(role)}`,
    );
  return createCaller(name, role as Role, patterns);
}

/** Parses `name:role:secret[:pattern,pattern…]`. */
export function parseTokenSpec(spec: string, where = "--token"): { principal: Principal; digest: Buffer } {
  const parts = spec.split(":");
  if (parts.length < 3)
    throw new TokenError(`${where}: expected name:role:secret[:pattern,pattern], got ${parts.length} fields`);
  const [name, role, secret, ...rest] = parts as [string, string, string, ...string[]];
  if (secret.length < 16) throw new TokenError(`${where}: token ${name}: the secret must be at least 16 characters`);
  // Patterns may contain ':' (user:*): everything after the secret is the pattern list.
  const patterns = rest.length === 0 ? [] : rest.join(":").split(",");
  return { principal: principal(name, role, patterns, where), digest: sha256(secret) };
}

/** Reads a JSON tokens file: an array of `{name, role, secret | sha256, patterns?}`. */
export function readTokensFile(file: string): { principal: Principal; digest: Buffer }[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new TokenError(`tokens file ${file}: ${(error as Error).message}`);
  }
  const list = Array.isArray(json) ? json : (json as { tokens?: unknown })?.tokens;
  if (!Array.isArray(list)) throw new TokenError(`tokens file ${file}: expected an array of tokens`);
  return list.map((raw, i) => {
    const where = `tokens file ${file} [${i}]`;
    const t = raw as { name?: unknown; role?: unknown; secret?: unknown; sha256?: unknown; patterns?: unknown };
    const patterns = Array.isArray(t.patterns) ? t.patterns.map(String) : [];
    const p = principal(String(t.name ?? ""), String(t.role ?? ""), patterns, where);
    if (typeof t.secret === "string") {
      if (t.secret.length < 16) throw new TokenError(`${where}: the secret must be at least 16 characters`);
      return { principal: p, digest: sha256(t.secret) };
    }
    if (typeof t.sha256 === "string" && /^[0-9a-f]{64}$/i.test(t.sha256))
      return { principal: p, digest: Buffer.from(t.sha256, "hex") };
    throw new TokenError(`${where}: give "secret" or "sha256" (64 hex digits)`);
  });
}

/** The configured tokens. */
export class TokenRegistry {
  private readonly entries: Entry[] = [];

  constructor(tokens: readonly { principal: Principal; digest: Buffer }[]) {
    const names = new Set<string>();
    for (const t of tokens) {
      if (names.has(t.principal.name)) throw new TokenError(`token name ${t.principal.name} is defined twice`);
      names.add(t.principal.name);
      this.entries.push({ principal: t.principal, digest: t.digest });
    }
  }

  /** True when any token is configured (auth is on). */
  get enabled(): boolean {
    return this.entries.length > 0;
  }

  /** Names and roles (for the start-up log: never secrets). */
  describe(): { name: string; role: Role; patterns: readonly string[] }[] {
    return this.entries.map((e) => ({
      name: e.principal.name,
      role: e.principal.role,
      patterns: e.principal.patterns,
    }));
  }

  /**
   * The principal whose secret is `secret`, or undefined. Constant time in the secret: both sides
   * are SHA-256 digests of equal length, compared with `timingSafeEqual`, and every entry is
   * compared (no early exit).
   */
  authenticate(secret: string): Principal | undefined {
    const digest = sha256(secret);
    let found: Principal | undefined;
    for (const e of this.entries) {
      if (timingSafeEqual(digest, e.digest) && found === undefined) found = e.principal;
    }
    return found;
  }
}

/** Builds the registry from `--token` values, the environment's list and an optional file. */
export function loadTokens(flagTokens: readonly string[], tokensFile: string | undefined): TokenRegistry {
  const all = flagTokens.map((s, i) => parseTokenSpec(s, `--token #${i + 1}`));
  if (tokensFile) all.push(...readTokensFile(tokensFile));
  return new TokenRegistry(all);
}
