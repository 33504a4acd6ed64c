import { buildSync } from "esbuild";

/**
 * Every process the bench times runs bundled JavaScript, as `npm start` runs the server
 * (`dist/server.mjs`), never under tsx: tsx's module hooks run in a worker thread, and a second
 * thread in the process makes the main thread's garbage collection markedly costlier (a unary
 * gRPC call: ~12 µs of GC per call under tsx vs ~2 µs bundled, same code, same allocations).
 */
const built = new Map<string, string>();

/**
 * Bundles `entry` (a TypeScript file, relative to the project root) into `dist/<name>.mjs` once per
 * process and returns that path. Packages stay external (resolved from node_modules at run time);
 * the bundle sits one level under the root, like `server/*.ts`, so `new URL("../package.json",
 * import.meta.url)` still finds the project's package.json.
 */
export function bundleEntry(entry: string, name: string): string {
  const known = built.get(entry);
  if (known !== undefined) return known;
  const outfile = `dist/${name}.mjs`;
  buildSync({
    // Code splitting keeps a dynamic `import()` lazy: without it esbuild inlines the imported
    // module and hoists its package imports to the top of the bundle, so `--engine memory` would
    // load etcd3, gRPC and protobufjs at every start. Chunks sit beside the entry (same
    // directory depth, see above), prefixed with its name.
    entryPoints: { [name]: entry },
    outdir: "dist",
    splitting: true,
    outExtension: { ".js": ".mjs" },
    chunkNames: `${name}-chunk-[hash]`,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    logLevel: "warning",
  });
  built.set(entry, outfile);
  return outfile;
}

/** The server as `npm start` runs it (`npm run build:server` writes the same file). */
export function serverBundle(): string {
  return bundleEntry("server/main.ts", "server");
}
