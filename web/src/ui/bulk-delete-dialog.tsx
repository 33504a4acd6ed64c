import { useEffect, useRef, useState } from "preact/hooks";
import { command } from "../../../shared/client/index.js";
import { formatCount } from "../model/format.js";
import { errorText, useConsole } from "./context.js";
import { Dialog } from "./dialog.js";

const SCAN_COUNT = 1000;
/** Keys whose names a preview keeps, so the action touches exactly the keys counted. */
const EXACT_LIMIT = 100_000;
/** Keys per DEL or per Batch of EXPIREs. */
const CHUNK = 500;

/** TTL units: milliseconds per unit. */
const UNITS: readonly [string, number][] = [
  ["seconds", 1000],
  ["minutes", 60_000],
  ["hours", 3_600_000],
  ["days", 86_400_000],
];

/** What the dialog does to the keys matching its pattern. */
export type KeysAction = "delete" | "expire";

interface Preview {
  readonly pattern: string;
  readonly count: number;
  readonly sample: string[];
  /** The keys counted (null past EXACT_LIMIT: the action then scans again). */
  readonly keys: string[] | null;
}

/**
 * Deletes, or sets a TTL on, every key matching a glob (a tree folder's prefix, or any pattern):
 * first a preview (a full SCAN that counts the matches and shows a few), then, once confirmed
 * with that count named, the action on exactly the keys counted (up to 100,000 names are kept;
 * past that the action scans again, and says so). DEL in chunks of 500 keys; EXPIRE in one
 * TransactionService.Batch per 500.
 */
export function BulkDeleteDialog(props: {
  initialPattern: string;
  action?: KeysAction;
  /** Count at once (a folder's action: the pattern is given). */
  autoPreview?: boolean;
  onClose: () => void;
  onDone: () => void;
}) {
  const { clients, notify } = useConsole();
  const action = props.action ?? "delete";
  const [pattern, setPattern] = useState(props.initialPattern || "");
  const [preview, setPreview] = useState<Preview | null>(null);
  const [progress, setProgress] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [ttl, setTtl] = useState("");
  const [unit, setUnit] = useState(1000);
  const cancelled = useRef(false);

  const scanAll = async (match: string, onPage: (keys: string[]) => Promise<void>) => {
    let cursor = "0";
    do {
      if (cancelled.current) throw new Error("cancelled");
      const page = await clients.keys.scan({ cursor, match, count: SCAN_COUNT });
      await onPage(page.keys.map((k) => k.key));
      cursor = page.cursor;
    } while (cursor !== "0");
  };

  const doPreview = async () => {
    if (!pattern) return;
    setBusy(true);
    cancelled.current = false;
    try {
      let count = 0;
      const sample: string[] = [];
      let keys: string[] | null = [];
      await scanAll(pattern, async (page) => {
        count += page.length;
        for (const k of page) if (sample.length < 5) sample.push(k);
        if (keys) keys = count <= EXACT_LIMIT ? keys.concat(page) : null;
        setProgress(`Counting… ${formatCount(count)} so far`);
      });
      setPreview({ pattern, count, sample, keys });
      setProgress(null);
    } catch (e) {
      notify(errorText(e), "error");
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    if (props.autoPreview) void doPreview();
  }, []);

  /** Runs `onChunk` over the keys counted (or, past the limit, over a new scan's pages) in chunks. */
  const forEachChunk = async (p: Preview, onChunk: (keys: string[]) => Promise<void>) => {
    if (p.keys) {
      for (let i = 0; i < p.keys.length; i += CHUNK) {
        if (cancelled.current) throw new Error("cancelled");
        await onChunk(p.keys.slice(i, i + CHUNK));
      }
    } else {
      await scanAll(p.pattern, async (keys) => {
        for (let i = 0; i < keys.length; i += CHUNK) await onChunk(keys.slice(i, i + CHUNK));
      });
    }
  };

  const ttlMs = (): bigint | null => {
    const n = Number(ttl);
    if (ttl.trim() === "" || !(n > 0) || !Number.isFinite(n)) return null;
    return BigInt(Math.max(1, Math.round(n * unit)));
  };

  const run = async () => {
    if (!preview) return;
    setBusy(true);
    cancelled.current = false;
    let done = 0;
    try {
      if (action === "delete") {
        await forEachChunk(preview, async (keys) => {
          done += Number((await clients.keys.del({ keys })).deleted);
          setProgress(`Deleted ${formatCount(done)}…`);
        });
        notify(
          `Deleted ${formatCount(done)} keys matching ${preview.pattern}` +
            (preview.keys && done < preview.count ? ` (${formatCount(preview.count - done)} were gone already)` : ""),
        );
      } else {
        const ms = ttlMs();
        if (ms === null) throw new Error("The TTL must be a positive number");
        await forEachChunk(preview, async (keys) => {
          const res = await clients.transaction.batch({
            commands: keys.map((key) => command("expire", { key, when: { case: "ttlMs", value: ms } })),
          });
          done += res.results.filter((r) => r.kind.case === "expire" && r.kind.value.applied).length;
          setProgress(`TTL set on ${formatCount(done)}…`);
        });
        notify(`TTL set on ${formatCount(done)} keys matching ${preview.pattern}`);
      }
      props.onDone();
    } catch (e) {
      notify(`${errorText(e)} (after ${formatCount(done)} keys)`, "error");
    } finally {
      setBusy(false);
    }
  };

  const verb = action === "delete" ? "Delete" : "Set TTL on";
  return (
    <Dialog
      id="bulk-delete"
      title={action === "delete" ? "Delete keys by pattern" : "Set a TTL on keys by pattern"}
      onClose={() => {
        cancelled.current = true;
        props.onClose();
      }}
    >
      <form
        class="form"
        onSubmit={(e) => {
          e.preventDefault();
          void doPreview();
        }}
      >
        <label>
          Pattern (glob)
          <input
            value={pattern}
            placeholder="session:*"
            onInput={(e) => {
              setPattern((e.currentTarget as HTMLInputElement).value);
              setPreview(null);
            }}
          />
        </label>
        <div class="row">
          <button type="submit" disabled={busy || !pattern}>
            Preview
          </button>
        </div>
      </form>
      {action === "expire" && (
        <div class="row">
          <label>
            TTL
            <input
              inputMode="decimal"
              value={ttl}
              onInput={(e) => setTtl((e.currentTarget as HTMLInputElement).value)}
            />
          </label>
          <label>
            Unit
            <select
              value={String(unit)}
              onChange={(e) => setUnit(Number((e.currentTarget as HTMLSelectElement).value))}
            >
              {UNITS.map(([n, ms]) => (
                <option key={n} value={String(ms)}>
                  {n}
                </option>
              ))}
            </select>
          </label>
        </div>
      )}
      {progress && (
        <p role="status" class="muted">
          {progress}
        </p>
      )}
      {preview && (
        <div class="preview" role="status">
          <p>
            <strong data-testid="bulk-count">{formatCount(preview.count)}</strong> keys match{" "}
            <code>{preview.pattern}</code>
            {preview.sample.length > 0 && `, e.g. ${preview.sample.join(", ")}`}.
            {preview.keys
              ? " Only these keys are touched (keys created after this count are not)."
              : ` More than ${formatCount(EXACT_LIMIT)}: the ${action === "delete" ? "delete" : "TTL"} scans again and touches every key matching then.`}
          </p>
        </div>
      )}
      <div class="row end">
        <button
          type="button"
          onClick={() => {
            cancelled.current = true;
            props.onClose();
          }}
        >
          Cancel
        </button>
        <button
          type="button"
          class="danger"
          disabled={busy || !preview || preview.count === 0 || (action === "expire" && ttlMs() === null)}
          onClick={run}
        >
          {preview ? `${verb} ${formatCount(preview.count)} keys` : verb}
        </button>
      </div>
    </Dialog>
  );
}
