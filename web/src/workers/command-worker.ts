/**
 * The command bar's worker: runs a raw command over its own gRPC-Web transport, decodes the
 * reply (a 200k-element reply is ~0.7 s of protobuf decoding) and formats its lines as
 * redis-cli does, all off the page's main thread. It keeps each reply and answers pages of lines
 * until the page drops it.
 */
import { ConnectError } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { bearerAuth, createServiceClients } from "../../../shared/client/index.js";
import type { Reply } from "../../../shared/gen/memorabilia/v1/command_service_pb.js";
import { countLines, takeLines } from "../model/reply-lines.js";
import type { FromWorker, ToWorker } from "./command-protocol.js";

const scope = self as unknown as {
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker): void;
};
const replies = new Map<number, Reply | undefined>();

async function run(m: Extract<ToWorker, { type: "run" }>): Promise<void> {
  const token = m.token;
  const clients = createServiceClients(
    createGrpcWebTransport({
      baseUrl: m.baseUrl,
      useBinaryFormat: true,
      interceptors: token ? [bearerAuth(token)] : [],
    }),
  );
  try {
    const res = await clients.command.execute({ args: [...m.args] }, { signal: AbortSignal.timeout(m.timeoutMs) });
    replies.set(m.id, res.reply);
    scope.postMessage({
      type: "ran",
      id: m.id,
      kind: res.reply?.kind.case ?? "nil",
      total: countLines(res.reply),
      lines: takeLines(res.reply, m.firstLines),
    });
  } catch (error) {
    const e = ConnectError.from(error);
    scope.postMessage({ type: "failed", id: m.id, code: e.code, message: e.rawMessage });
  }
}

scope.onmessage = (e) => {
  const m = e.data;
  if (m.type === "run") void run(m);
  else if (m.type === "lines")
    scope.postMessage({ type: "lines", id: m.id, seq: m.seq, lines: takeLines(replies.get(m.id), m.count) });
  else replies.delete(m.id);
};
