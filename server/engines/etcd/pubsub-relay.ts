/**
 * Pub/Sub across a fleet: a message a client publishes on one server reaches the subscribers of
 * every server. Each server puts its clients' messages, in batches, at one etcd key (`P m`) and
 * watches that key; a batch from another server is delivered to this server's subscribers. etcd's
 * watch hands every revision of the key to every watcher in one order, so each server's messages
 * arrive everywhere in the order they were published there.
 *
 * Delivery is at most once, as Redis's Pub/Sub is: a batch that etcd does not take (no quorum,
 * deadline) is dropped, counted and logged — never retried, which could deliver it twice. A message
 * costs one etcd write shared by its batch (a Raft round, fsync included), and PUBLISH answers as
 * soon as this server's subscribers have it.
 */
import type { Watcher } from "etcd3";
import { StoreError } from "../../../shared/store/errors.js";
import type { PubSubHub, PubSubRelay } from "../../../shared/store/pubsub.js";
import { type EtcdConnection, settleWithin } from "./client.js";

/** The largest message (channel + payload) that travels: etcd refuses requests over ~1.5 MiB. */
export const MAX_RELAYED_BYTES = 1 << 20;
/** A batch's payload bound (one put). */
const MAX_BATCH_BYTES = 1 << 20;
/**
 * Most bytes waiting for etcd: past it a message is delivered here but not relayed (dropped and
 * counted), so a publisher faster than etcd — or an etcd without quorum — cannot grow the queue.
 */
export const MAX_QUEUED_BYTES = 16 << 20;

/** A logger (Fastify's). */
interface Log {
  warn(obj: object, msg: string): void;
}

/**
 * A batch as stored: `[server id length u8][server id][count u32]` then per message
 * `[channel length u32][channel][message length u32][message]`, bytes as they are (latin1).
 */
function encodeBatch(server: string, messages: readonly (readonly [string, string])[]): Buffer {
  let size = 1 + server.length + 4;
  for (const [c, m] of messages) size += 8 + c.length + m.length;
  const out = Buffer.allocUnsafe(size);
  let at = out.writeUInt8(server.length, 0);
  at += out.write(server, at, "latin1");
  at = out.writeUInt32BE(messages.length, at);
  for (const [c, m] of messages) {
    at = out.writeUInt32BE(c.length, at);
    at += out.write(c, at, "latin1");
    at = out.writeUInt32BE(m.length, at);
    at += out.write(m, at, "latin1");
  }
  return out;
}

/** Decodes a batch; undefined when the value is not one (a foreign or damaged writer). */
export function decodeBatch(data: Buffer): { server: string; messages: [string, string][] } | undefined {
  try {
    let at = 0;
    const idLength = data.readUInt8(at++);
    const server = data.toString("latin1", at, (at += idLength));
    const count = data.readUInt32BE(at);
    at += 4;
    const messages: [string, string][] = [];
    const field = (): string => {
      const n = data.readUInt32BE(at);
      at += 4;
      if (at + n > data.length) throw new RangeError("truncated");
      return data.toString("latin1", at, (at += n));
    };
    for (let i = 0; i < count; i++) messages.push([field(), field()]);
    return at === data.length ? { server, messages } : undefined;
  } catch {
    return undefined;
  }
}

/** The relay of one server: {@link PubSubHub.relay} while started. */
export class EtcdPubSubRelay implements PubSubRelay {
  private queue: [string, string][] = [];
  private queuedBytes = 0;
  private sending = false;
  private watcher: Watcher | undefined;
  private lastWarning = 0;
  /** Messages sent to etcd / dropped because etcd did not take their batch / received from others. */
  readonly counts = { sent: 0, dropped: 0, received: 0 };

  constructor(
    private readonly connection: EtcdConnection,
    private readonly key: Buffer,
    private readonly serverId: string,
    private readonly log: Log,
  ) {}

  /** Watches the fleet's messages and attaches to `hub`. Resolves once the watch is established. */
  async start(hub: PubSubHub): Promise<void> {
    const watcher = await this.connection.client.watch().key(this.key).create();
    watcher.on("put", (kv) => {
      const batch = decodeBatch(kv.value);
      if (batch === undefined || batch.server === this.serverId) return;
      this.counts.received += batch.messages.length;
      for (const [channel, message] of batch.messages) hub.publish(channel, message);
    });
    watcher.on("error", () => {
      /* etcd3 reconnects the stream from the last revision it saw */
    });
    this.watcher = watcher;
    hub.relay = this;
  }

  check(channel: string, message: string): void {
    if (channel.length + message.length > MAX_RELAYED_BYTES) {
      throw new StoreError(
        "LIMIT",
        `ERR message too large for Pub/Sub across an etcd fleet (channel + message over ${MAX_RELAYED_BYTES} bytes)`,
      );
    }
  }

  send(channel: string, message: string): void {
    const bytes = channel.length + message.length;
    if (this.queuedBytes + bytes > MAX_QUEUED_BYTES) {
      this.dropped(1, "the relay's queue is full (etcd is slower than the publishers)");
      return;
    }
    this.queuedBytes += bytes;
    this.queue.push([channel, message]);
    if (!this.sending) void this.drain();
  }

  /** Bytes waiting for etcd. */
  get queued(): number {
    return this.queuedBytes;
  }

  /** Counts messages that will not reach the other servers; warns at most every 10 s. */
  private dropped(n: number, why: string): void {
    this.counts.dropped += n;
    const now = Date.now();
    if (now - this.lastWarning <= 10_000) return;
    this.lastWarning = now;
    this.log.warn({ dropped: this.counts.dropped, why }, "etcd: Pub/Sub messages not delivered to the other servers");
  }

  /** Puts queued messages, one batch at a time (so each server's messages keep their order). */
  private async drain(): Promise<void> {
    this.sending = true;
    try {
      while (this.queue.length !== 0) {
        let bytes = 0;
        let n = 0;
        while (n < this.queue.length) {
          const [c, m] = this.queue[n] as [string, string];
          if (n > 0 && bytes + c.length + m.length > MAX_BATCH_BYTES) break;
          bytes += c.length + m.length;
          n++;
        }
        const batch = this.queue.slice(0, n);
        this.queue = this.queue.slice(n);
        this.queuedBytes -= bytes;
        try {
          // Not retried: a re-sent put that had applied would deliver the batch twice.
          await this.connection.call(
            (o) => this.connection.client.kv.put({ key: this.key, value: encodeBatch(this.serverId, batch) }, o),
            "once",
          );
          this.counts.sent += batch.length;
        } catch (error) {
          this.dropped(batch.length, `etcd did not take them: ${(error as Error).message}`);
        }
      }
    } finally {
      this.sending = false;
    }
  }

  /** Stops watching (messages still queued are dropped). */
  async stop(hub: PubSubHub): Promise<void> {
    if (hub.relay === this) hub.relay = undefined;
    this.queue = [];
    this.queuedBytes = 0;
    await settleWithin(this.watcher?.cancel(), this.connection.timeoutMs);
  }
}
