/**
 * Reads of a plain-TCP RESP client go into one buffer shared by every connection (Node's `onread`
 * socket option) instead of a fresh Buffer per read pushed through the Readable stream. At
 * redis-benchmark `-P 16` every read is one batch of 16 commands, and Node's per-read cost (a
 * 64 KiB allocation shrunk to the bytes read, a Buffer object, the stream's push and `data` event)
 * is a fixed share of each command's CPU; a bare echo server measured 0.19–0.25 µs user per
 * command with the stream against 0.12–0.14 µs with `onread`.
 *
 * The buffer is lent for the duration of the callback only: the caller consumes what it can and
 * copies the rest (RespParser.retain) before returning, so the next read (of any connection) may
 * overwrite it. Reads are never re-entrant: libuv calls one socket's callback at a time from the
 * event loop, and nothing a command does (writes, pauses, destroys) reads synchronously.
 *
 * Node gives `onread` to sockets it creates (`net.connect`, `new net.Socket`), not to the sockets a
 * server accepts. An accepted socket's handle is therefore moved, before it has read anything
 * (the server listens with `pauseOnConnect`), into a new Socket made with `onread`: the one use of
 * Node internals (`Socket#_handle`) in the RESP port, checked against the running Node by
 * resp-socket.test.ts. When the handle is not what this expects, the accepted socket is used as
 * it is (the stream path): slower, never wrong.
 */
import { type OnReadOpts, Socket, type SocketConstructorOpts } from "node:net";

/** Bytes a read may bring (libuv's own suggestion for a stream read is 64 KiB too). */
const READ_BYTES = 64 * 1024;
let shared: Buffer | undefined;

/** The shape of a libuv TCP handle this module relies on. */
interface StreamHandle {
  useUserBuffer(buffer: Uint8Array): void;
  readStart(): number;
  readStop(): number;
}

function handleOf(socket: Socket): StreamHandle | undefined {
  const handle = (socket as unknown as { _handle?: unknown })._handle;
  if (typeof handle !== "object" || handle === null) return undefined;
  const h = handle as Partial<StreamHandle>;
  return typeof h.useUserBuffer === "function" && typeof h.readStart === "function" && typeof h.readStop === "function"
    ? (handle as StreamHandle)
    : undefined;
}

/**
 * A socket reading `accepted`'s connection into the shared buffer: `onRead` gets each read's bytes,
 * valid only until it returns. Undefined when the handle cannot be moved (TLS, or a Node whose
 * sockets differ): the caller then reads `accepted` through its `data` events (and must resume it,
 * as the server accepts paused).
 */
export function borrowingSocket(accepted: Socket, onRead: (chunk: Buffer) => void): Socket | undefined {
  const handle = handleOf(accepted);
  if (handle === undefined || accepted.readableLength !== 0) return undefined;
  // Detach the handle, then close the accepted Socket object alone (no handle: nothing is closed
  // on the wire; the server's connection count goes down with it, the new socket is not counted).
  (accepted as unknown as { _handle: unknown })._handle = null;
  accepted.destroy();
  shared ??= Buffer.allocUnsafe(READ_BYTES);
  const onread: OnReadOpts = {
    buffer: shared,
    callback: (n, buffer) => {
      onRead((buffer as Buffer).subarray(0, n));
      return true;
    },
  };
  // `handle` and `onread` are accepted by the constructor, not declared by @types/node.
  return new Socket({ handle, onread } as unknown as SocketConstructorOpts);
}
