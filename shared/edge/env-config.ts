/**
 * Edge app options from environment-style strings (Deno.env, Bun.env, Worker bindings), shared
 * by the runtime adapters so every runtime is configured the same way.
 */
import type { EdgeToken, RoleName } from "./auth.js";
import type { EdgeAppOptions } from "./edge-app.js";

/** The variables the adapters read. */
export interface EdgeEnv {
  /** Comma-separated `name:role:token` entries, roles admin | readwrite | readonly. */
  readonly MEMORABILIA_TOKENS?: string;
  /** Comma-separated origins allowed by CORS (`*` for any). */
  readonly MEMORABILIA_CORS_ORIGINS?: string;
  /** Largest request in bytes. */
  readonly MEMORABILIA_MAX_REQUEST_BYTES?: string;
  /** Largest client timeout in milliseconds. */
  readonly MEMORABILIA_MAX_TIMEOUT_MS?: string;
  /** Most server streams open at once (Watch, Subscribe, InfoStream). */
  readonly MEMORABILIA_MAX_STREAMS?: string;
  /** Output buffer hard limit of a Watch or Subscribe stream, bytes. */
  readonly MEMORABILIA_STREAM_BUFFER_HARD_BYTES?: string;
  /** Output buffer soft limit, bytes. */
  readonly MEMORABILIA_STREAM_BUFFER_SOFT_BYTES?: string;
  /** How long a stream may stay above the soft limit, ms. */
  readonly MEMORABILIA_STREAM_BUFFER_SOFT_MS?: string;
  /** Bytes waiting in all streams together (`--stream-buffer-total-bytes`). */
  readonly MEMORABILIA_STREAM_BUFFER_TOTAL_BYTES?: string;
}

const ROLES: readonly RoleName[] = ["admin", "readwrite", "readonly"];

/** Parses `name:role:token,…`; throws a TypeError naming the bad entry (never echoing a token). */
export function parseTokens(text: string | undefined): EdgeToken[] {
  if (text === undefined || text.trim() === "") return [];
  return text.split(",").map((entry, i) => {
    const [name, role, ...rest] = entry.trim().split(":");
    const token = rest.join(":");
    if (!name || !ROLES.includes(role as RoleName) || token.length === 0) {
      throw new TypeError(`MEMORABILIA_TOKENS entry ${i + 1} must be name:role:token with role ${ROLES.join(" | ")}`);
    }
    return { name, role: role as RoleName, token };
  });
}

function positive(name: string, text: string | undefined): number | undefined {
  if (text === undefined || text === "") return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0) throw new TypeError(`${name} must be a positive integer, got '${text}'`);
  return n;
}

/** The edge app options the variables describe (absent variables keep the defaults). */
export function optionsFromEnv(env: EdgeEnv): EdgeAppOptions {
  const corsOrigins = (env.MEMORABILIA_CORS_ORIGINS ?? "")
    .split(",")
    .map((o) => o.trim())
    .filter((o) => o !== "");
  return {
    tokens: parseTokens(env.MEMORABILIA_TOKENS),
    corsOrigins,
    readMaxBytes: positive("MEMORABILIA_MAX_REQUEST_BYTES", env.MEMORABILIA_MAX_REQUEST_BYTES),
    maxTimeoutMs: positive("MEMORABILIA_MAX_TIMEOUT_MS", env.MEMORABILIA_MAX_TIMEOUT_MS),
    streaming: {
      maxStreams: positive("MEMORABILIA_MAX_STREAMS", env.MEMORABILIA_MAX_STREAMS),
      outputBufferHardBytes: positive("MEMORABILIA_STREAM_BUFFER_HARD_BYTES", env.MEMORABILIA_STREAM_BUFFER_HARD_BYTES),
      outputBufferSoftBytes: positive("MEMORABILIA_STREAM_BUFFER_SOFT_BYTES", env.MEMORABILIA_STREAM_BUFFER_SOFT_BYTES),
      outputBufferSoftMs: positive("MEMORABILIA_STREAM_BUFFER_SOFT_MS", env.MEMORABILIA_STREAM_BUFFER_SOFT_MS),
      outputBufferTotalBytes: positive(
        "MEMORABILIA_STREAM_BUFFER_TOTAL_BYTES",
        env.MEMORABILIA_STREAM_BUFFER_TOTAL_BYTES,
      ),
    },
  };
}
