import { useState } from "preact/hooks";
import type { KeyType } from "../../../shared/gen/memorabilia/v1/types_pb.js";
import { readContainer } from "../api/container-value.js";
import { formatBytes, formatCount } from "../model/format.js";
import { toCliText, toJson } from "../model/value-export.js";
import { errorText, useConsole } from "./context.js";
import { Dialog } from "./dialog.js";
import { saveBytes } from "./save-bytes.js";

/** Past this many bytes (MEMORY USAGE), the whole value is read only after the user agrees. */
export const ASK_ABOVE_BYTES = 256 * 1024;

type Action = "copy" | "download";
type Format = "json" | "text";

/**
 * Copy value / Download for a list, set, hash, sorted set or stream: the whole value, read a page
 * at a time, as JSON or as redis-cli prints it (model/value-export.ts says how bytes are kept).
 * A value over {@link ASK_ABOVE_BYTES} is read only after a confirmation that names its size.
 */
export function ContainerExport(props: { keyName: string; type: KeyType; elements: number }) {
  const { clients, notify } = useConsole();
  const [format, setFormat] = useState<Format>("json");
  const [ask, setAsk] = useState<{ action: Action; bytes: number } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const key = props.keyName;

  const run = async (action: Action): Promise<void> => {
    setBusy("Reading the value…");
    try {
      const value = await readContainer(clients, key, props.type, (n) =>
        setBusy(`Reading the value… ${formatCount(n)} elements`),
      );
      const text = format === "json" ? toJson(key, value) : toCliText(value);
      const label = format === "json" ? "JSON" : "text";
      if (action === "copy") {
        await navigator.clipboard.writeText(text);
        notify(`Value copied as ${label}`);
      } else {
        saveBytes(
          new TextEncoder().encode(text),
          key,
          format === "json" ? "json" : "txt",
          format === "json" ? "application/json" : "text/plain;charset=utf-8",
        );
      }
    } catch (e) {
      notify(`Could not ${action === "copy" ? "copy" : "download"} the value: ${errorText(e)}`, "error");
    } finally {
      setBusy(null);
    }
  };

  const start = async (action: Action): Promise<void> => {
    try {
      const { bytes } = await clients.keys.memoryUsage({ key });
      const n = Number(bytes ?? 0n);
      if (n > ASK_ABOVE_BYTES) {
        setAsk({ action, bytes: n });
        return;
      }
    } catch {
      // No size: read it (the pages bound each call).
    }
    await run(action);
  };

  return (
    <div class="row wrap container-export" role="group" aria-label="Export the value">
      <label>
        Format{" "}
        <select value={format} onChange={(e) => setFormat((e.currentTarget as HTMLSelectElement).value as Format)}>
          <option value="json">JSON</option>
          <option value="text">redis-cli text</option>
        </select>
      </label>
      <button type="button" disabled={busy !== null} onClick={() => void start("copy")}>
        Copy value
      </button>
      <button type="button" disabled={busy !== null} onClick={() => void start("download")}>
        Download
      </button>
      {busy && (
        <span class="muted" role="status">
          {busy}
        </span>
      )}
      {ask && (
        <Dialog id="export-big" title="Read the whole value?" onClose={() => setAsk(null)}>
          <p>
            This value takes {formatBytes(ask.bytes)} on the server ({formatCount(props.elements)} elements). Reading
            all of it takes {formatCount(Math.ceil(props.elements / 1000))} calls and holds it in this page.
          </p>
          <div class="row end">
            <button type="button" onClick={() => setAsk(null)}>
              Cancel
            </button>
            <button
              type="button"
              onClick={() => {
                const action = ask.action;
                setAsk(null);
                void run(action);
              }}
            >
              Read all and {ask.action === "copy" ? "copy" : "download"}
            </button>
          </div>
        </Dialog>
      )}
    </div>
  );
}
