/**
 * A `Headers` over an HTTP/2 request's header object, filled on first use.
 *
 * Building a WHATWG `Headers` validates and normalizes every name and value (webidl conversions in
 * undici): a few µs per call that most calls never need, since the gRPC fast lane reads what it
 * needs (grpc-timeout, grpc-accept-encoding) from Node's object directly, and without auth no
 * interceptor or handler reads the request headers at all. This subclass is a real `Headers`
 * (`instanceof Headers`, same methods and results); the node headers are appended, pseudo-headers
 * skipped, the first time any method is called.
 */
import type * as http2 from "node:http2";

/** A `Headers` holding an HTTP/2 request's headers (except pseudo-headers), copied on first use. */
export class NodeRequestHeaders extends Headers {
  #source: http2.IncomingHttpHeaders | undefined;

  constructor(source: http2.IncomingHttpHeaders) {
    super();
    this.#source = source;
  }

  /** Copies the source into the Headers once (as the lane did eagerly before). */
  #fill(): void {
    const source = this.#source;
    if (source === undefined) return;
    this.#source = undefined;
    for (const k in source) {
      if (k.charCodeAt(0) === 58 /* : */) continue;
      const v = source[k];
      if (typeof v === "string") super.append(k, v);
      else if (Array.isArray(v)) for (const e of v) super.append(k, e);
    }
  }

  override append(name: string, value: string): void {
    this.#fill();
    super.append(name, value);
  }
  override delete(name: string): void {
    this.#fill();
    super.delete(name);
  }
  override get(name: string): string | null {
    this.#fill();
    return super.get(name);
  }
  override getSetCookie(): string[] {
    this.#fill();
    return super.getSetCookie();
  }
  override has(name: string): boolean {
    this.#fill();
    return super.has(name);
  }
  override set(name: string, value: string): void {
    this.#fill();
    super.set(name, value);
  }
  override forEach(callback: (value: string, key: string, parent: Headers) => void, thisArg?: unknown): void {
    this.#fill();
    super.forEach(callback, thisArg);
  }
  override entries(): HeadersIterator<[string, string]> {
    this.#fill();
    return super.entries();
  }
  override keys(): HeadersIterator<string> {
    this.#fill();
    return super.keys();
  }
  override values(): HeadersIterator<string> {
    this.#fill();
    return super.values();
  }
  override [Symbol.iterator](): HeadersIterator<[string, string]> {
    this.#fill();
    return super[Symbol.iterator]();
  }
}
