/** The messages between the page and the command worker (web/src/workers/command-worker.ts). */

/** Page → worker. */
export type ToWorker =
  | {
      readonly type: "run";
      readonly id: number;
      readonly baseUrl: string;
      readonly token: string | null;
      readonly args: readonly Uint8Array[];
      readonly firstLines: number;
      readonly timeoutMs: number;
    }
  | { readonly type: "lines"; readonly id: number; readonly seq: number; readonly count: number }
  | { readonly type: "drop"; readonly id: number };

/** Worker → page. */
export type FromWorker =
  | {
      readonly type: "ran";
      readonly id: number;
      readonly kind: string;
      readonly total: number;
      readonly lines: string[];
    }
  | { readonly type: "failed"; readonly id: number; readonly code: number; readonly message: string }
  | { readonly type: "lines"; readonly id: number; readonly seq: number; readonly lines: string[] };
