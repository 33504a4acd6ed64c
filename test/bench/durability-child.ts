/**
 * Bench child: writes `count` keys (`key:<i>` = `value:<i>`, as the Redis side) into a fresh
 * Memorabilia data dir, as a snapshot (`snapshot`) or as a log of one frame per 100 writes (`log`).
 * Prints `{"bytes": …}`.
 */
import { mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { FilePersistence } from "../../server/persistence/file-persistence.js";
import { createStore } from "../../shared/store/store.js";

const [dir, countText, kind] = process.argv.slice(2) as [string, string, "snapshot" | "log"];
const count = Number(countText);
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const store = createStore({});
const local = store.repository.local;
if (local === undefined) throw new TypeError("the Map engine keeps its keyspace in memory");
const p = new FilePersistence(local, { dir, fsync: "no", snapshotMinLogBytes: 2 ** 50 });
await p.load();
p.start();
for (let i = 0; i < count; i++) {
  store.execSync(["SET", `key:${i}`, `value:${i}`]);
  if (i % 100 === 99) await p.durable();
}
if (kind === "snapshot") await p.snapshot();
await p.close();
const bytes = readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
process.stdout.write(`${JSON.stringify({ bytes })}\n`);
