import { Code, ConnectError } from "@connectrpc/connect";
import type { CommandRunner, ReplyHandle } from "../model/reply-handle.js";
import type { FromWorker, ToWorker } from "../workers/command-protocol.js";
import { UNARY_TIMEOUT_MS } from "./server-health.js";
import { loadToken } from "./token.js";

/**
 * Runs the command bar's commands in a worker (web/src/workers/command-worker.ts): the reply is
 * decoded, counted and formatted there, and only the lines shown cross to the page, so a reply
 * of any size never blocks the main thread. Errors come back as ConnectErrors with their code.
 */
export function workerRunner(baseUrl: string): CommandRunner {
  let worker: Worker | null = null;
  let nextId = 0;
  let nextSeq = 0;
  const waiting = new Map<string, (m: FromWorker) => void>();
  const start = (): Worker => {
    if (worker) return worker;
    const w = new Worker(new URL("../workers/command-worker.ts", import.meta.url), { type: "module" });
    w.onmessage = (e: MessageEvent<FromWorker>) => {
      const m = e.data;
      const k = m.type === "lines" ? `l${m.id}:${m.seq}` : `r${m.id}`;
      waiting.get(k)?.(m);
      waiting.delete(k);
    };
    worker = w;
    return w;
  };
  const ask = (k: string, message: ToWorker): Promise<FromWorker> =>
    new Promise((resolve) => {
      waiting.set(k, resolve);
      start().postMessage(message);
    });
  return {
    async run(args, firstLines): Promise<ReplyHandle> {
      const id = nextId++;
      const m = await ask(`r${id}`, {
        type: "run",
        id,
        baseUrl,
        token: loadToken(),
        args,
        firstLines,
        timeoutMs: UNARY_TIMEOUT_MS,
      });
      if (m.type === "failed") {
        const timedOut = m.code === Code.DeadlineExceeded || /timeout|aborted/i.test(m.message);
        throw new ConnectError(
          timedOut ? `the server did not answer within ${UNARY_TIMEOUT_MS / 1000} s` : m.message,
          m.code as Code,
        );
      }
      if (m.type !== "ran") throw new Error("unexpected answer from the command worker");
      return {
        kind: m.kind,
        total: m.total,
        first: m.lines,
        lines: async (count) => {
          const seq = nextSeq++;
          const a = await ask(`l${id}:${seq}`, { type: "lines", id, seq, count });
          return a.type === "lines" ? a.lines : [];
        },
        dispose: () => worker?.postMessage({ type: "drop", id } satisfies ToWorker),
      };
    },
  };
}
