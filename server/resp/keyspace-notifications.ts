/**
 * Redis keyspace notifications (`notify-keyspace-events`): the store's keyspace events published
 * on the Pub/Sub hub as Redis publishes them, `__keyspace@0__:<key>` carrying the event name and
 * `__keyevent@0__:<event>` carrying the key. Off by default (as in Redis); while off the store
 * has no listener, so commands pay nothing.
 */
import type { Bytes } from "../../shared/store/bytes.js";
import { StoreError } from "../../shared/store/errors.js";
import type { EventClass, KeyspaceEvent } from "../../shared/store/events.js";
import type { PubSubHub } from "../../shared/store/pubsub.js";
import type { Store } from "../../shared/store/store.js";

/** Class characters in Redis's order (`A` is all of them). */
const CLASS_CHARS: readonly (readonly [string, EventClass | "stream" | "module"])[] = [
  ["g", "generic"],
  ["$", "string"],
  ["l", "list"],
  ["s", "set"],
  ["h", "hash"],
  ["z", "zset"],
  ["x", "expired"],
  ["e", "evicted"],
  ["t", "stream"],
  ["d", "module"],
];

/** Parsed `notify-keyspace-events` flags. */
interface Flags {
  readonly keyspace: boolean;
  readonly keyevent: boolean;
  readonly classes: ReadonlySet<string>;
  /** `m` (key misses) and `n` (new keys): accepted, reported, never emitted (the store has no such events). */
  readonly extra: string;
}

const NONE: Flags = { keyspace: false, keyevent: false, classes: new Set(), extra: "" };

/** Parses a flags string as Redis's `keyspaceEventsStringToFlags`; throws Redis's error on a bad character. */
function parseFlags(text: string): Flags {
  let keyspace = false;
  let keyevent = false;
  const classes = new Set<string>();
  let extra = "";
  for (const c of text) {
    if (c === "A") for (const [, cls] of CLASS_CHARS) classes.add(cls);
    else if (c === "K") keyspace = true;
    else if (c === "E") keyevent = true;
    else if (c === "m" || c === "n") {
      if (!extra.includes(c)) extra += c;
    } else {
      const entry = CLASS_CHARS.find(([ch]) => ch === c);
      if (entry === undefined)
        throw new StoreError(
          "ERR",
          "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'.",
        );
      classes.add(entry[1]);
    }
  }
  return { keyspace, keyevent, classes, extra };
}

/** The flags as Redis prints them (`keyspaceEventsFlagsToString`). */
function formatFlags(f: Flags): string {
  let out = "";
  if (CLASS_CHARS.every(([, cls]) => f.classes.has(cls))) out = "A";
  else for (const [ch, cls] of CLASS_CHARS) if (f.classes.has(cls)) out += ch;
  if (f.keyspace) out += "K";
  if (f.keyevent) out += "E";
  if (f.extra.includes("m")) out += "m";
  if (f.extra.includes("n")) out += "n";
  return out;
}

/** The `notify-keyspace-events` setting of a server, publishing to `hub` while it is on. */
export class KeyspaceNotifications {
  private flags: Flags = NONE;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly store: Store,
    private readonly hub: PubSubHub,
  ) {}

  /** The setting, as CONFIG GET prints it. */
  get value(): string {
    return formatFlags(this.flags);
  }

  /** Throws Redis's error when `text` is not a valid flags string (CONFIG SET checks before applying). */
  static check(text: string): void {
    parseFlags(text);
  }

  /** CONFIG SET notify-keyspace-events: validates, then (un)subscribes from the store's events. */
  set(text: string): void {
    const flags = parseFlags(text);
    this.flags = flags;
    const on = (flags.keyspace || flags.keyevent) && flags.classes.size > 0;
    if (on && this.unsubscribe === undefined) {
      this.unsubscribe = this.store.events.subscribe({}, (event) => this.publish(event));
    } else if (!on && this.unsubscribe !== undefined) {
      this.unsubscribe();
      this.unsubscribe = undefined;
    }
  }

  /** Stops publishing (server shutdown). */
  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private publish(event: KeyspaceEvent): void {
    const f = this.flags;
    if (!f.classes.has(event.class)) return;
    const key: Bytes = event.key;
    if (f.keyspace) this.hub.publish(`__keyspace@0__:${key}`, event.event);
    if (f.keyevent) this.hub.publish(`__keyevent@0__:${event.event}`, key);
  }
}
