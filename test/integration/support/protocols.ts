/**
 * Shared pieces of the protocol integration tests: the connect-node transport matrix and a store
 * fingerprint to prove bad input changed nothing.
 */
import { createHash } from "node:crypto";
import { Code, ConnectError, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import type { MemorabiliaClient } from "../../../shared/client/index.js";

/** A protocol of the matrix: its name and how to build a transport to `baseUrl`. */
export type ProtocolCase = readonly [name: string, transport: (baseUrl: string) => Transport];

/** gRPC over h2c, gRPC-Web and Connect over HTTP/1.1 (the protocols the issue names), all connect-node. */
export const PROTOCOLS: readonly ProtocolCase[] = [
  ["gRPC (h2c)", (baseUrl) => createGrpcTransport({ baseUrl })],
  ["gRPC-Web (HTTP/1.1)", (baseUrl) => createGrpcWebTransport({ baseUrl, httpVersion: "1.1" })],
  ["Connect (HTTP/1.1)", (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "1.1" })],
];

/** The ConnectError a call failed with; fails the test if it succeeded. */
export async function rpcError(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error("expected the call to fail, but it succeeded");
}

/** DBSIZE plus a SHA-256 over every key (sorted) with its type and DUMP-like content via raw commands. */
export async function fingerprint(client: MemorabiliaClient): Promise<{ size: bigint; digest: string }> {
  const { size } = await client.keys.dbSize({});
  const { keys } = await client.keys.keys({ pattern: "*" });
  const hash = createHash("sha256");
  for (const key of [...keys].sort()) {
    const { type } = await client.keys.type({ key });
    hash.update(`${key}\0${type}\0`);
    const cmd: Record<number, string[]> = {
      2: ["GET", key],
      3: ["LRANGE", key, "0", "-1"],
      4: ["HGETALL", key],
      5: ["SMEMBERS", key],
      6: ["ZRANGE", key, "0", "-1", "WITHSCORES"],
    };
    const args = cmd[type];
    if (args) {
      const { reply } = await client.command.execute({ args: args.map((a) => new TextEncoder().encode(a)) });
      hash.update(JSON.stringify(reply, (_k, v) => (typeof v === "bigint" ? String(v) : v)));
    }
  }
  return { size, digest: hash.digest("hex") };
}

export { Code };
