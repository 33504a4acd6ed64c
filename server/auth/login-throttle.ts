/**
 * Failed logins: counted, logged at most once per interval (never the secret), and throttled per
 * client address with a token bucket, so a guesser gets a handful of tries and then about one a
 * second, while every other address is served as before.
 *
 * Each address holds up to `burst` tries; every wrong token spends one; tries come back at
 * `refillPerSecond`. An address with no try left is refused at once (RESOURCE_EXHAUSTED, the
 * token is not even looked at) until one comes back — a correct token from that address too,
 * as fail2ban would: otherwise the guesser could keep guessing at full speed.
 */

/** Why a login failed. */
export type LoginFailure = "missing" | "invalid" | "throttled";

/** Options of {@link LoginThrottle}. */
export interface LoginThrottleOptions {
  /** Wrong tokens an address may send in a burst; 0 turns throttling off. @default 20 */
  readonly burst?: number;
  /** Tries given back per second. @default 1 */
  readonly refillPerSecond?: number;
  /** Addresses tracked at most (the oldest full ones are forgotten first). @default 100_000 */
  readonly maxAddresses?: number;
  /** Milliseconds of a monotonic clock. @default `performance.now` */
  readonly now?: () => number;
}

interface Bucket {
  tries: number;
  at: number;
}

/** Per-address token buckets of wrong-token tries. */
export class LoginThrottle {
  private readonly buckets = new Map<string, Bucket>();
  private readonly burst: number;
  private readonly refillPerMs: number;
  private readonly maxAddresses: number;
  private readonly now: () => number;

  constructor(options: LoginThrottleOptions = {}) {
    this.burst = options.burst ?? 20;
    this.refillPerMs = (options.refillPerSecond ?? 1) / 1000;
    this.maxAddresses = options.maxAddresses ?? 100_000;
    this.now = options.now ?? (() => performance.now());
  }

  /** Tries `address` has left now. */
  private refill(address: string): Bucket | undefined {
    const b = this.buckets.get(address);
    if (b === undefined) return undefined;
    const now = this.now();
    b.tries = Math.min(this.burst, b.tries + (now - b.at) * this.refillPerMs);
    b.at = now;
    if (b.tries >= this.burst) {
      this.buckets.delete(address);
      return undefined;
    }
    return b;
  }

  /** True when `address` has no try left: refuse without looking at the token. */
  blocked(address: string): boolean {
    if (this.burst === 0) return false;
    const b = this.refill(address);
    return b !== undefined && b.tries < 1;
  }

  /** Seconds until `address` has a try again (for the error message). */
  retryAfterSeconds(address: string): number {
    const b = this.refill(address);
    if (b === undefined || b.tries >= 1) return 0;
    return Math.ceil((1 - b.tries) / this.refillPerMs / 1000);
  }

  /** Spends one try of `address` (a wrong token). */
  fail(address: string): void {
    if (this.burst === 0) return;
    let b = this.refill(address);
    if (b === undefined) {
      if (this.buckets.size >= this.maxAddresses) this.evict();
      b = { tries: this.burst, at: this.now() };
      this.buckets.set(address, b);
    }
    b.tries = Math.max(0, b.tries - 1);
  }

  /** Addresses tracked now. */
  get size(): number {
    return this.buckets.size;
  }

  /** Forgets full buckets, then the oldest entries, down to 90% of the bound. */
  private evict(): void {
    for (const address of [...this.buckets.keys()]) this.refill(address);
    const excess = this.buckets.size - Math.floor(this.maxAddresses * 0.9);
    if (excess <= 0) return;
    let n = 0;
    for (const address of this.buckets.keys()) {
      if (n++ >= excess) break;
      this.buckets.delete(address);
    }
  }
}

/** A logger's warn (Fastify's, pino-style). */
export interface WarnLogger {
  warn(details: Record<string, unknown>, message: string): void;
}

/**
 * Logs failed logins at most once per `intervalMs`: the first at once, the rest summed up in the
 * next line (how many, of which kind, from how many addresses, the latest address). Never the
 * token.
 */
export class FailedLoginLog {
  private last = Number.NEGATIVE_INFINITY;
  private counts: Record<LoginFailure, number> = { missing: 0, invalid: 0, throttled: 0 };
  private addresses = new Set<string>();

  constructor(
    private readonly log: WarnLogger,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Records one failure; writes a line when the interval has passed. */
  note(failure: LoginFailure, address: string, procedure: string): void {
    this.counts[failure]++;
    if (this.addresses.size < 1000) this.addresses.add(address);
    const now = this.now();
    if (now - this.last < this.intervalMs) return;
    const { missing, invalid, throttled } = this.counts;
    this.log.warn(
      { failures: { missing, invalid, throttled }, addresses: this.addresses.size, address, procedure },
      `auth: ${missing + invalid + throttled} failed authentication(s) since the last report (${invalid} invalid token, ${missing} without a token, ${throttled} refused while throttled), latest from ${address} calling ${procedure}`,
    );
    this.last = now;
    this.counts = { missing: 0, invalid: 0, throttled: 0 };
    this.addresses = new Set();
  }
}
