/**
 * The runtime matrix: one behavioural suite, five hosts. A missing runtime binary fails its host
 * with a clear message (never a skip).
 */
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe } from "vitest";
import { type Bundles, buildBundles } from "./build.js";
import { type Host, startBun, startDeno, startInPage, startNode, startWorkerd } from "./hosts.js";
import { behaviouralSuite } from "./suite.js";

const STARTERS: Record<string, (bundles: Bundles) => Promise<Host>> = {
  deno: startDeno,
  bun: startBun,
  workerd: startWorkerd,
  "in-page": startInPage,
  node: startNode,
};
/** Hosts running the edge handler (whose auth, limits and CORS the suite also checks). */
const EDGE = new Set(["deno", "bun", "workerd"]);

// Every host starts at once (in the first beforeAll), each describe waits for its own.
let bundles: Promise<Bundles> | undefined;
const starting = new Map<string, Promise<Host>>();
const start = (name: string): Promise<Host> => {
  bundles ??= buildBundles();
  let host = starting.get(name);
  if (host === undefined) {
    host = bundles.then((b) => (STARTERS[name] as (b: Bundles) => Promise<Host>)(b));
    host.catch(() => {}); // reported by the describe that awaits it
    starting.set(name, host);
  }
  return host;
};

afterAll(async () => {
  await Promise.all([...starting.values()].map((h) => h.then((x) => x.stop()).catch(() => {})));
  if (bundles) rmSync((await bundles).dir, { recursive: true, force: true });
});

describe.each(Object.keys(STARTERS))("runtime matrix: %s", (name) => {
  let host: Host | undefined;
  beforeAll(async () => {
    for (const other of Object.keys(STARTERS)) start(other);
    host = await start(name);
  });
  behaviouralSuite(
    () => {
      if (host === undefined) throw new Error(`${name} did not start`);
      return host;
    },
    { edge: EDGE.has(name) },
  );
});
