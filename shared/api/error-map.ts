/**
 * The one table that maps the store's error codes to Connect (gRPC) codes, and the conversion of
 * anything a handler throws into a {@link ConnectError}.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorDetailSchema } from "../gen/memorabilia/v1/types_pb.js";
import { bytesToUtf8 } from "../store/bytes.js";
import { type ErrorCode, StoreError } from "../store/errors.js";

/** The response header (gRPC: trailer) that carries the store's error code, e.g. `WRONGTYPE`. */
export const ERROR_CODE_HEADER = "memorabilia-error-code";

/**
 * StoreError code -> Connect code. Exhaustive on purpose: a new store code does not compile until
 * it is given a mapping here.
 *
 * `ERR` maps to InvalidArgument: the store raises plain `ERR …` only for bad input (`ERR value is
 * out of range`, `ERR source and destination objects are the same`), as Redis does.
 */
export const STORE_ERROR_CODES: Readonly<Record<ErrorCode, Code>> = {
  WRONGTYPE: Code.FailedPrecondition,
  ERR: Code.InvalidArgument,
  SYNTAX: Code.InvalidArgument,
  NOT_INTEGER: Code.InvalidArgument,
  NOT_FLOAT: Code.InvalidArgument,
  NAN: Code.InvalidArgument,
  OVERFLOW: Code.InvalidArgument,
  INDEX_OUT_OF_RANGE: Code.InvalidArgument,
  INVALID_EXPIRE: Code.InvalidArgument,
  INVALID_CURSOR: Code.InvalidArgument,
  WRONG_ARITY: Code.InvalidArgument,
  UNKNOWN_COMMAND: Code.InvalidArgument,
  EXEC_ABORT: Code.InvalidArgument,
  NO_SUCH_KEY: Code.NotFound,
  LIMIT: Code.ResourceExhausted,
  OOM: Code.ResourceExhausted,
  CAPACITY: Code.ResourceExhausted,
  NOAUTH: Code.Unauthenticated,
  NOPERM: Code.PermissionDenied,
  READONLY: Code.PermissionDenied,
  ABORTED: Code.Aborted,
  // A remote engine (etcd) that cannot be reached or has no quorum: retry elsewhere or later.
  UNAVAILABLE: Code.Unavailable,
  // The server cannot write its log (disk full, I/O error): server-side and transient, retry later.
  MISCONF: Code.Unavailable,
  NOGROUP: Code.NotFound,
  BUSYGROUP: Code.AlreadyExists,
  // A value whose bytes are corrupt for its use (a HyperLogLog's sparse runs that do not add up).
  INVALIDOBJ: Code.FailedPrecondition,
};

/** Where unexpected errors (bugs, engine failures) are reported. */
export interface ApiLogger {
  /** Called once per unexpected error, with the procedure that raised it (e.g. `/memorabilia.v1.KeysService/Del`). */
  error(message: string, details: { readonly error: unknown; readonly procedure?: string }): void;
}

interface ConsoleLike {
  error(...data: unknown[]): void;
}

/** The default logger: the runtime's `console.error`, when the runtime has a console. */
export const consoleLogger: ApiLogger = {
  error(message, details) {
    const sink = (globalThis as { console?: ConsoleLike }).console;
    sink?.error(message, details.procedure ?? "", details.error);
  },
};

/** Anything past Latin-1: a message that is already text, not a byte string. */
const NOT_BYTES = /[^\x00-\xff]/;

/**
 * A {@link StoreError} message as text. Store messages are byte strings, as Redis's error replies
 * are: Redis's ASCII wording around the client's own bytes (`ERR unknown command 'GËT'` carries
 * the command name's UTF-8 bytes). Sent as is, each byte would be encoded as UTF-8 once more
 * (`'GÃ\u008bT'`); decoded here, once, for every message leaving the API (errors and error
 * replies alike). Bytes that are not UTF-8 show as U+FFFD, as keys do in `KeyInfo`.
 */
export function errorText(message: string): string {
  return NOT_BYTES.test(message) ? message : bytesToUtf8(message);
}

/** The Connect code for a store error code (Internal for a code this table does not know). */
export function connectCodeOf(code: string): Code {
  return (STORE_ERROR_CODES as Record<string, Code | undefined>)[code] ?? Code.Internal;
}

/**
 * Converts anything a handler threw into a ConnectError:
 * - a ConnectError (validation, cancellation) passes unchanged;
 * - a {@link StoreError} keeps its Redis-style message, gets its code from {@link STORE_ERROR_CODES},
 *   and carries the store code in the {@link ERROR_CODE_HEADER} header and an `ErrorDetail`;
 * - anything else becomes Internal with a generic message (no internals leak) and is logged.
 */
export function toConnectError(error: unknown, logger: ApiLogger, procedure?: string): ConnectError {
  if (error instanceof ConnectError) return error;
  if (error instanceof StoreError) {
    const code = connectCodeOf(error.code);
    if (code === Code.Internal) logger.error(`unmapped store error ${error.code}`, { error, procedure });
    return new ConnectError(
      errorText(error.message),
      code,
      { [ERROR_CODE_HEADER]: error.code },
      [{ desc: ErrorDetailSchema, value: { code: error.code } }],
      error,
    );
  }
  logger.error("unexpected error in a handler", { error, procedure });
  return new ConnectError("internal error", Code.Internal, undefined, undefined, error);
}
