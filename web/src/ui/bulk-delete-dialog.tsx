import { useRef, useState } from "preact/hooks";
import { formatCount } from "../model/format.js";
import { errorText, useConsole } from "./context.js";
import { Dialog } from "./dialog.js";

const SCAN_COUNT = 1000;

/**
 * Deletes every key matching a glob: first a preview (a full SCAN that counts the matches and
 * shows a few), then, once confirmed, SCAN again and DEL each page's keys in batches.
 */
export function BulkDeleteDialog(props: { initialPattern: string; onClose: () => void; onDone: () => void }) {
  const { clients, notify } = useConsole();
  const [pattern, setPattern] = useState(props.initialPattern || "");
  const [preview, setPreview] = useState<{ pattern: string; count: number; sample: string[] } | null>(null);
  const [progress, setProgress] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
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
      await scanAll(pattern, async (keys) => {
        count += keys.length;
        for (const k of keys) if (sample.length < 5) sample.push(k);
        setProgress(`Counting… ${formatCount(count)} so far`);
      });
      setPreview({ pattern, count, sample });
      setProgress(null);
    } catch (e) {
      notify(errorText(e), "error");
    } finally {
      setBusy(false);
    }
  };

  const doDelete = async () => {
    if (!preview) return;
    setBusy(true);
    cancelled.current = false;
    let deleted = 0;
    try {
      await scanAll(preview.pattern, async (keys) => {
        if (keys.length === 0) return;
        deleted += Number((await clients.keys.del({ keys })).deleted);
        setProgress(`Deleted ${formatCount(deleted)}…`);
      });
      notify(`Deleted ${formatCount(deleted)} keys matching ${preview.pattern}`);
      props.onDone();
    } catch (e) {
      notify(`${errorText(e)} (after deleting ${deleted})`, "error");
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog
      id="bulk-delete"
      title="Delete keys by pattern"
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
        <button type="button" class="danger" disabled={busy || !preview || preview.count === 0} onClick={doDelete}>
          {preview ? `Delete ${formatCount(preview.count)} keys` : "Delete"}
        </button>
      </div>
    </Dialog>
  );
}
