/**
 * The Fetch API globals the edge handler uses (Deno, Bun, workerd, browsers and Node 18+ all
 * provide them), declared here because shared/ compiles without DOM or Node types. Only what
 * shared/edge needs; they merge with lib.dom where that is present.
 */
declare class Headers {
  constructor(init?: Headers | [string, string][] | Record<string, string>);
  get(name: string): string | null;
  has(name: string): boolean;
  set(name: string, value: string): void;
  append(name: string, value: string): void;
  delete(name: string): void;
  forEach(callback: (value: string, key: string) => void): void;
}
declare class Request {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly signal: AbortSignal;
}
declare class Response {
  constructor(body?: string | Uint8Array | null, init?: { status?: number; statusText?: string; headers?: Headers });
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: ReadableStream is not declared in shared/; must merge with lib.dom
  readonly body: any;
}
declare class URL {
  constructor(url: string, base?: string);
  readonly pathname: string;
  readonly origin: string;
}
