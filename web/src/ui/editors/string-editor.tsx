import { useEffect, useRef, useState } from "preact/hooks";
import { command } from "../../../../shared/client/index.js";
import { ALL_VIEWS, type BytesDraft, draftOf, savedBytes, show } from "../../model/bytes-draft.js";
import { sameBytes } from "../../model/change.js";
import { formatBytes } from "../../model/format.js";
import { BytesField } from "../bytes-field.js";
import { useChangeRunner } from "../change-runner.js";
import { errorText, useConsole } from "../context.js";
import { saveBytes } from "../save-bytes.js";

/** Strings longer than this show their first part only, read-only. */
const MAX_EDIT_BYTES = 256 * 1024;

/**
 * A string value as text, pretty JSON or hex. Saving keeps the key's TTL (SET … KEEPTTL), writes
 * nothing when the bytes are unchanged, and only if the value is still the one loaded (another
 * client's change is never overwritten without asking).
 */
export function StringEditor(props: { keyName: string; version: number }) {
  const { clients, readOnly, notify } = useConsole();
  /** The value as loaded: what the draft started from, and what a save is guarded by. */
  const [value, setValue] = useState<Uint8Array | null>(null);
  /** The value as the server has it now (it may have moved on while the user edits). */
  const [latest, setLatest] = useState<Uint8Array | null>(null);
  const [truncated, setTruncated] = useState(0);
  const [draft, setDraft] = useState<BytesDraft>({ mode: "text", text: "" });
  const [dirty, setDirtyState] = useState(false);
  /**
   * `dirty` as of now, for a read that completes later: a read started before the user's first
   * keystroke must not replace the draft when it lands after it (its closure still holds the
   * `dirty` of the render that started it; the edit was lost, Save then found nothing to save).
   */
  const dirtyNow = useRef(false);
  const setDirty = (d: boolean) => {
    dirtyNow.current = d;
    setDirtyState(d);
  };
  const [reload, setReload] = useState(0);
  const [loadError, setLoadError] = useState<string | null>(null);

  useEffect(() => {
    let alive = true;
    (async () => {
      const len = Number((await clients.strings.strLen({ key: props.keyName })).length);
      let bytes: Uint8Array;
      if (len > MAX_EDIT_BYTES) {
        bytes = (await clients.strings.getRange({ key: props.keyName, start: 0n, end: BigInt(MAX_EDIT_BYTES - 1) }))
          .value;
      } else {
        bytes = (await clients.strings.get({ key: props.keyName })).value ?? new Uint8Array();
      }
      if (!alive) return;
      setTruncated(len > MAX_EDIT_BYTES ? len : 0);
      setLatest(bytes);
      if (!dirtyNow.current) {
        setValue(bytes);
        setDraft(draftOf(bytes, ALL_VIEWS));
      }
      setLoadError(null);
    })().catch((e) => alive && setLoadError(errorText(e)));
    return () => {
      alive = false;
    };
  }, [props.keyName, props.version, reload]);

  const changes = useChangeRunner(() => {
    setDirty(false);
    setValue(null);
    setReload((n) => n + 1);
  });
  const save = async () => {
    if (value === null) return;
    let bytes: Uint8Array;
    try {
      bytes = savedBytes(draft, value);
    } catch (e) {
      return notify(errorText(e), "error");
    }
    const key = props.keyName;
    await changes.run(
      bytes === value
        ? null
        : {
            commands: [command("set", { key, value: bytes, expiry: { case: "keepTtl", value: true } })],
            guards: [
              {
                precondition: { key, check: { case: "valueEquals", value } },
                reason: "another client changed (or deleted) this value since you loaded it",
              },
            ],
          },
      "Saved",
    );
  };

  /** Copies the value as the current view shows it (hex for binary: the clipboard holds text). */
  const copyValue = async () => {
    try {
      await navigator.clipboard.writeText(draft.lossy ? show(draft.lossy.bytes, "hex") : draft.text);
      notify(draft.lossy || draft.mode === "hex" ? "Value copied (hex)" : "Value copied");
    } catch (e) {
      notify(`Could not copy: ${errorText(e)}`, "error");
    }
  };
  /** Downloads the value's exact bytes, the whole of it (a big value is read in full on request). */
  const download = async () => {
    try {
      const bytes =
        truncated > 0
          ? ((await clients.strings.get({ key: props.keyName })).value ?? new Uint8Array())
          : (value ?? new Uint8Array());
      saveBytes(bytes, props.keyName);
    } catch (e) {
      notify(errorText(e), "error");
    }
  };

  if (value === null && loadError !== null)
    return (
      <p class="error" role="alert">
        Could not read the value: {loadError}{" "}
        <button type="button" onClick={() => setReload((n) => n + 1)}>
          Retry
        </button>
      </p>
    );
  if (value === null) return <p class="muted">Loading…</p>;
  const locked = readOnly || truncated > 0;
  return (
    <section class="string-editor" aria-label="String value">
      {truncated > 0 && (
        <p class="muted">
          Showing the first {formatBytes(MAX_EDIT_BYTES)} of {formatBytes(truncated)} (read-only).
        </p>
      )}
      {dirty && latest !== null && !sameBytes(latest, value) && (
        <p class="notice" role="status">
          Another client changed this value while you were editing it.{" "}
          <button
            type="button"
            class="link"
            onClick={() => {
              setValue(latest);
              setDraft(draftOf(latest, ALL_VIEWS, draft.mode));
              setDirty(false);
            }}
          >
            Discard my edit and load theirs
          </button>
        </p>
      )}
      <BytesField
        label="Value"
        multiline
        readOnly={locked}
        views={ALL_VIEWS}
        draft={draft}
        onDraft={(d) => {
          if (d.mode === draft.mode) {
            setDirty(true);
            setDraft(d);
          } else {
            // Switching views alone is not an edit: unedited, every view shows the value as stored.
            setDraft(dirty ? d : draftOf(value, ALL_VIEWS, d.mode));
          }
        }}
        onError={(message) => notify(message, "error")}
      />
      <div class="row value-tools">
        <button type="button" onClick={() => void copyValue()}>
          Copy value
        </button>
        <button type="button" onClick={() => void download()}>
          Download{truncated > 0 ? ` (all ${formatBytes(truncated)})` : ""}
        </button>
      </div>
      {!locked && (
        <div class="row">
          <button type="button" class="primary" disabled={!dirty} onClick={save}>
            Save value
          </button>
          {dirty && (
            <button
              type="button"
              onClick={() => {
                setDraft(draftOf(value, ALL_VIEWS, draft.mode));
                setDirty(false);
              }}
            >
              Revert
            </button>
          )}
        </div>
      )}
      {changes.dialog}
    </section>
  );
}
