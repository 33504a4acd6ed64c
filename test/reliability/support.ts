/** Helpers of the reliability suite: a raw-command client and a temp data dir. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { CommandService, type Reply } from "../../shared/gen/memorabilia/v1/command_service_pb.js";

/** A bearer-token interceptor (no token: nothing added). */
export const bearer =
  (token: string | undefined): Interceptor =>
  (next) =>
  (req) => {
    if (token !== undefined) req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };

/** The three protocols (four transports) the server speaks. */
export function transports(url: string, token?: string): [string, Transport][] {
  const interceptors = [bearer(token)];
  return [
    ["grpc", createGrpcTransport({ baseUrl: url, interceptors })],
    ["grpc-web", createGrpcWebTransport({ baseUrl: url, httpVersion: "1.1", interceptors })],
    ["connect-h1", createConnectTransport({ baseUrl: url, httpVersion: "1.1", interceptors })],
    ["connect-h2", createConnectTransport({ baseUrl: url, httpVersion: "2", interceptors })],
  ];
}

/** A plain JS view of a reply. */
export type Plain = null | number | string | Plain[] | { error: string };

const dec = new TextDecoder("latin1");

/** Converts a Reply message to {@link Plain}. */
export function plain(r: Reply | undefined): Plain {
  const k = r?.kind;
  switch (k?.case) {
    case "integer":
      return Number(k.value);
    case "bulk":
      return dec.decode(k.value);
    case "status":
      return k.value;
    case "double":
      return k.value;
    case "array":
      return k.value.elements.map(plain);
    case "error":
      return { error: k.value.message };
    default:
      return null;
  }
}

/** Runs raw commands through CommandService.Execute. */
export function commandClient(transport: Transport) {
  const client = createClient(CommandService, transport);
  const enc = new TextEncoder();
  return async (...args: string[]): Promise<Plain> => {
    const res = await client.execute({ args: args.map((a) => enc.encode(a)) });
    return plain(res.reply);
  };
}

/** A fresh temp directory. */
export const tempDir = (prefix: string): string => mkdtempSync(join(tmpdir(), `mem-${prefix}-`));
