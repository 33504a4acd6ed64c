import type { Bytes } from "./bytes.js";
import { compileGlob, type GlobMatcher } from "./glob.js";

/**
 * Publish/subscribe, as Redis has it (`src/pubsub.c`): channels by exact name (SUBSCRIBE) and by
 * glob pattern (PSUBSCRIBE). Messages are not stored; PUBLISH delivers to the subscriptions present
 * and returns how many received it — one per matching channel subscription plus one per matching
 * pattern subscription, so a subscriber listening both ways receives (and counts) twice.
 */

/** A message as one subscriber receives it. */
export interface PubSubMessage {
  /** The channel it was published to. */
  readonly channel: Bytes;
  /** The message. */
  readonly message: Bytes;
  /** The pattern that matched (a `pmessage`); undefined for a channel subscription (a `message`). */
  readonly pattern?: Bytes;
}

/** Receives messages synchronously, during PUBLISH; it must not throw or block. */
export type PubSubListener = (message: PubSubMessage) => void;

interface PatternEntry {
  readonly match: GlobMatcher;
  readonly subscribers: Set<Subscriber>;
}

/** One subscriber (a connection or a stream): its channels and patterns, and its listener. */
export class Subscriber {
  private readonly channelSet = new Set<Bytes>();
  private readonly patternSet = new Set<Bytes>();
  private closed = false;

  /** @internal created by {@link PubSubHub.subscriber}. */
  constructor(
    private readonly hub: PubSubHub,
    readonly listener: PubSubListener,
  ) {}

  /** SUBSCRIBE channel [channel ...]; returns the number of channels and patterns now subscribed. */
  subscribe(channels: readonly Bytes[]): number {
    this.checkOpen();
    for (const channel of channels) {
      if (this.channelSet.has(channel)) continue;
      this.channelSet.add(channel);
      this.hub.addChannel(channel, this);
    }
    return this.count;
  }

  /** PSUBSCRIBE pattern [pattern ...]; returns the number of channels and patterns now subscribed. */
  psubscribe(patterns: readonly Bytes[]): number {
    this.checkOpen();
    for (const pattern of patterns) {
      if (this.patternSet.has(pattern)) continue;
      this.patternSet.add(pattern);
      this.hub.addPattern(pattern, this);
    }
    return this.count;
  }

  /** UNSUBSCRIBE [channel ...]: the given channels, or every channel when none is given. */
  unsubscribe(channels?: readonly Bytes[]): number {
    for (const channel of channels ?? [...this.channelSet]) {
      if (this.channelSet.delete(channel)) this.hub.removeChannel(channel, this);
    }
    return this.count;
  }

  /** PUNSUBSCRIBE [pattern ...]: the given patterns, or every pattern when none is given. */
  punsubscribe(patterns?: readonly Bytes[]): number {
    for (const pattern of patterns ?? [...this.patternSet]) {
      if (this.patternSet.delete(pattern)) this.hub.removePattern(pattern, this);
    }
    return this.count;
  }

  /** Leaves every channel and pattern; the subscriber cannot subscribe again. Idempotent. */
  close(): void {
    this.unsubscribe();
    this.punsubscribe();
    this.closed = true;
  }

  /** Channels subscribed to. */
  get channels(): ReadonlySet<Bytes> {
    return this.channelSet;
  }

  /** Patterns subscribed to. */
  get patterns(): ReadonlySet<Bytes> {
    return this.patternSet;
  }

  /** Channels plus patterns (what Redis replies to SUBSCRIBE/UNSUBSCRIBE). */
  get count(): number {
    return this.channelSet.size + this.patternSet.size;
  }

  private checkOpen(): void {
    if (this.closed) throw new TypeError("subscriber is closed");
  }
}

/**
 * Carries clients' messages to the other servers of a fleet (the etcd engine's relay), which
 * deliver them to their own subscribers with {@link PubSubHub.publish}. Like Redis's Pub/Sub,
 * delivery is at most once; a relay keeps each server's publish order.
 */
export interface PubSubRelay {
  /** Throws a StoreError (nothing delivered anywhere) when the message cannot travel to the fleet. */
  check(channel: Bytes, message: Bytes): void;
  /** Sends the message to the other servers (asynchronously; it was delivered here already). */
  send(channel: Bytes, message: Bytes): void;
}

/** The hub: channels and patterns to subscribers. Runtime-neutral, synchronous. */
export class PubSubHub {
  private readonly channelMap = new Map<Bytes, Set<Subscriber>>();
  private readonly patternMap = new Map<Bytes, PatternEntry>();
  /** Listener errors go here instead of breaking PUBLISH. */
  onListenerError: (error: unknown) => void = () => {};
  /** Set on a server of a fleet: clients' messages also reach the other servers' subscribers. */
  relay: PubSubRelay | undefined;

  /** A new subscriber delivering to `listener` (subscribed to nothing yet). */
  subscriber(listener: PubSubListener): Subscriber {
    return new Subscriber(this, listener);
  }

  /** Delivers `message` to every matching subscription of this server; returns how many received it. */
  publish(channel: Bytes, message: Bytes): number {
    let receivers = 0;
    const direct = this.channelMap.get(channel);
    if (direct !== undefined) {
      // Copied: a listener may unsubscribe (itself or others) while we deliver.
      for (const sub of [...direct]) receivers += this.deliver(sub, { channel, message });
    }
    if (this.patternMap.size !== 0) {
      for (const [pattern, entry] of [...this.patternMap]) {
        if (!entry.match(channel)) continue;
        for (const sub of [...entry.subscribers]) receivers += this.deliver(sub, { channel, message, pattern });
      }
    }
    return receivers;
  }

  /**
   * PUBLISH from a client: delivered to this server's subscriptions, and through the
   * {@link relay} (if any) to the other servers'. Returns how many received it here — as a Redis
   * Cluster node counts only its own subscribers. (Keyspace notifications and relayed messages use
   * {@link publish}: every server makes its own from the fleet's events.)
   */
  publishFromClient(channel: Bytes, message: Bytes): number {
    const relay = this.relay;
    relay?.check(channel, message);
    const receivers = this.publish(channel, message);
    relay?.send(channel, message);
    return receivers;
  }

  /* PUBSUB CHANNELS [pattern] */
  /** Channels with at least one subscriber, optionally those matching a glob. */
  channels(pattern?: Bytes): Bytes[] {
    const match = pattern === undefined ? null : compileGlob(pattern);
    const out: Bytes[] = [];
    for (const channel of this.channelMap.keys()) if (match === null || match(channel)) out.push(channel);
    return out;
  }

  /* PUBSUB NUMSUB [channel [channel ...]] */
  /** Subscribers of a channel by exact name (pattern subscriptions are not counted, as in Redis). */
  numsub(channel: Bytes): number {
    return this.channelMap.get(channel)?.size ?? 0;
  }

  /* PUBSUB NUMPAT */
  /** Distinct patterns subscribed to, over every subscriber. */
  numpat(): number {
    return this.patternMap.size;
  }

  /** @internal */
  addChannel(channel: Bytes, sub: Subscriber): void {
    let set = this.channelMap.get(channel);
    if (set === undefined) this.channelMap.set(channel, (set = new Set()));
    set.add(sub);
  }

  /** @internal */
  removeChannel(channel: Bytes, sub: Subscriber): void {
    const set = this.channelMap.get(channel);
    if (set === undefined) return;
    set.delete(sub);
    if (set.size === 0) this.channelMap.delete(channel); // PUBSUB CHANNELS lists active channels only
  }

  /** @internal */
  addPattern(pattern: Bytes, sub: Subscriber): void {
    let entry = this.patternMap.get(pattern);
    if (entry === undefined) {
      entry = { match: compileGlob(pattern), subscribers: new Set() };
      this.patternMap.set(pattern, entry);
    }
    entry.subscribers.add(sub);
  }

  /** @internal */
  removePattern(pattern: Bytes, sub: Subscriber): void {
    const entry = this.patternMap.get(pattern);
    if (entry === undefined) return;
    entry.subscribers.delete(sub);
    if (entry.subscribers.size === 0) this.patternMap.delete(pattern);
  }

  private deliver(sub: Subscriber, message: PubSubMessage): number {
    try {
      sub.listener(message);
    } catch (error) {
      try {
        this.onListenerError(error);
      } catch {
        // The reporter failed too: PUBLISH still completes.
      }
    }
    return 1;
  }
}

/** Creates a {@link PubSubHub}. */
export function createPubSubHub(): PubSubHub {
  return new PubSubHub();
}
