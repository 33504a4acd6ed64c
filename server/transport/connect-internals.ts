/**
 * Every piece of connect-es the transport uses that connect marks "@private Internal code, does
 * not follow semantic versioning", in one place. The lanes import them from here only, so an
 * upgrade has one file to check; `connect-internals.test.ts` pins the versions exactly and checks
 * each function's behaviour the lanes rely on, so a change fails there, loudly, before anything
 * subtle breaks. The upgrade checklist is in this folder's README.md.
 *
 * Pinned: @connectrpc/connect, -node, -fastify 2.1.2 (2.2 wants Node 22).
 */
export {
  type Compression,
  compressionNegotiate,
  createMethodSerializationLookup,
  envelopeCompress,
  envelopeDecompress,
  validateUniversalHandlerOptions,
} from "@connectrpc/connect/protocol";
export {
  codeToHttpStatus,
  createEndStreamSerialization,
  endStreamFlag,
  errorToJsonBytes,
  parseTimeout as parseConnectTimeout,
  trailerMux,
} from "@connectrpc/connect/protocol-connect";
export { parseTimeout, setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
export { trailerFlag, trailerSerialize } from "@connectrpc/connect/protocol-grpc-web";

/** The connect-es version these internals were read from (package.json pins it exactly). */
export const CONNECT_VERSION = "2.1.2";
