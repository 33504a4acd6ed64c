/**
 * Who made an RPC, as the command log (SLOWLOG, MONITOR) names it: the caller's address, from
 * the context value every server transport sets ({@link kRemoteAddress}), and the RPC.
 */
import { type ContextValues, createContextKey } from "@connectrpc/connect";
import type { CommandClient } from "../store/command-log.js";

/** The caller's IP address, set by the host on each call's context values (undefined: unknown). */
export const kRemoteAddress = createContextKey<string | undefined>(undefined, { description: "remote address" });

/** The parts of a handler context the command log reads (any HandlerContext fits). */
interface CallContext {
  readonly values?: ContextValues;
  readonly service?: { readonly typeName: string };
  readonly method?: { readonly name: string };
}

const UNKNOWN: CommandClient = { addr: "?", name: "", source: "grpc" };

/**
 * The client of a call: its address (no port: HTTP/2 carries many calls on one connection, and
 * the transports keep the address only), no name, and `grpc:/service/Method` as its source.
 */
export function callClient(source: unknown): CommandClient {
  if (source === null || typeof source !== "object" || source instanceof AbortSignal) return UNKNOWN;
  const ctx = source as CallContext;
  const addr = ctx.values?.get(kRemoteAddress) ?? "?";
  const rpc =
    ctx.service !== undefined && ctx.method !== undefined ? `:/${ctx.service.typeName}/${ctx.method.name}` : "";
  return { addr, name: "", source: `grpc${rpc}` };
}
