/**
 * Which wire format a call uses, for handlers that hand binary protocols pre-encoded bytes
 * (watch-service.ts, command-service.ts).
 */

/** True unless the call's content type is JSON (Connect, gRPC and gRPC-Web all say `json` then). */
export const isBinaryCall = (header: Headers): boolean => !/json/i.test(header.get("content-type") ?? "");
