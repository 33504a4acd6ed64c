/**
 * The store's one error type, with a closed set of codes and Redis-style messages.
 * The API layer maps each code to a gRPC code through one table (shared/api).
 */

/**
 * A client's input as an error message echoes it: at most `max` characters (Redis's `%.128s`),
 * then `...` when cut. Every error that quotes what a client sent goes through it, so no message
 * outgrows a header (a 64 KiB sweep pattern echoed whole made HTTP/2 reset the stream, no status).
 */
export function echoInput(input: string, max = 128): string {
  return input.length <= max ? input : `${input.slice(0, max)}...`;
}

/** Every error code the store can raise. */
export type ErrorCode =
  | "ERR"
  | "WRONGTYPE"
  | "SYNTAX"
  | "NOT_INTEGER"
  | "NOT_FLOAT"
  | "INDEX_OUT_OF_RANGE"
  | "OVERFLOW"
  | "NAN"
  | "NO_SUCH_KEY"
  | "WRONG_ARITY"
  | "UNKNOWN_COMMAND"
  | "INVALID_EXPIRE"
  | "INVALID_CURSOR"
  | "EXEC_ABORT"
  | "LIMIT"
  | "OOM"
  | "NOAUTH"
  | "NOPERM"
  | "READONLY"
  | "CAPACITY"
  | "ABORTED"
  | "UNAVAILABLE"
  | "MISCONF"
  /** A stream consumer group (or its key) that does not exist (`NOGROUP …`). */
  | "NOGROUP"
  /** XGROUP CREATE of a group that exists (`BUSYGROUP …`). */
  | "BUSYGROUP"
  /** A value whose bytes are corrupt for its use (`INVALIDOBJ Corrupted HLL object detected`). */
  | "INVALIDOBJ";

const DEFAULT_MESSAGES: Record<ErrorCode, string> = {
  ERR: "ERR",
  WRONGTYPE: "WRONGTYPE Operation against a key holding the wrong kind of value",
  SYNTAX: "ERR syntax error",
  NOT_INTEGER: "ERR value is not an integer or out of range",
  NOT_FLOAT: "ERR value is not a valid float",
  INDEX_OUT_OF_RANGE: "ERR index out of range",
  OVERFLOW: "ERR increment or decrement would overflow",
  NAN: "ERR resulting score is not a number (NaN)",
  NO_SUCH_KEY: "ERR no such key",
  WRONG_ARITY: "ERR wrong number of arguments",
  UNKNOWN_COMMAND: "ERR unknown command",
  INVALID_EXPIRE: "ERR invalid expire time",
  INVALID_CURSOR: "ERR invalid cursor",
  EXEC_ABORT: "EXECABORT Transaction discarded because of previous errors.",
  LIMIT: "ERR limit exceeded",
  OOM: "OOM command not allowed when used memory > 'maxmemory'.",
  NOAUTH: "NOAUTH Authentication required.",
  NOPERM: "NOPERM this user has no permissions to run this command",
  READONLY: "READONLY You can't write against a read only store.",
  CAPACITY: "ERR keyspace capacity exceeded",
  ABORTED: "ERR operation aborted",
  UNAVAILABLE: "CLUSTERDOWN The storage engine is unavailable",
  INVALIDOBJ: "INVALIDOBJ Corrupted object detected",
  MISCONF: "MISCONF Errors writing to the append-only log: write commands are refused until it works again.",
  NOGROUP: "NOGROUP No such consumer group",
  BUSYGROUP: "BUSYGROUP Consumer Group name already exists",
};

/**
 * An error raised by the store. `message` is the Redis-style text clients see, as a byte string
 * (like `Bytes`, as Redis's error replies): client bytes are echoed as they came, and any
 * other text in it must be ASCII or UTF-8-encoded. The API decodes it once (`errorText`).
 */
export class StoreError extends Error {
  override readonly name = "StoreError";
  /** The closed error code, for mapping (e.g. to gRPC codes). */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? DEFAULT_MESSAGES[code], options);
    this.code = code;
  }
}

/** `WRONGTYPE Operation against a key holding the wrong kind of value` */
export const wrongType = (): StoreError => new StoreError("WRONGTYPE");
/** `ERR syntax error` */
export const syntaxError = (): StoreError => new StoreError("SYNTAX");
/** `ERR value is not an integer or out of range` */
export const notInteger = (): StoreError => new StoreError("NOT_INTEGER");
/** `ERR value is not a valid float` */
export const notFloat = (): StoreError => new StoreError("NOT_FLOAT");
/** `ERR wrong number of arguments for 'get' command` */
export const wrongArity = (command: string): StoreError =>
  new StoreError("WRONG_ARITY", `ERR wrong number of arguments for '${command.toLowerCase()}' command`);
/** `ERR <text>` with the generic code, for messages Redis gives as plain ERR. */
export const genericError = (text: string): StoreError => new StoreError("ERR", `ERR ${text}`);
/** `ERR invalid expire time in 'set' command` (the command name in lower case, as Redis). */
export const invalidExpire = (command: string): StoreError =>
  new StoreError("INVALID_EXPIRE", `ERR invalid expire time in '${command.toLowerCase()}' command`);
