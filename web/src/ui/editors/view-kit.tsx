import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { type BytesDraft, draftOf, ELEMENT_VIEWS } from "../../model/bytes-draft.js";
import { BytesField } from "../bytes-field.js";
import { errorText, useConsole } from "../context.js";
import { Dialog } from "../dialog.js";

/**
 * Small pieces the stream, bitmap and HyperLogLog views share: a throttle for live refreshes, a
 * confirmation dialog, and a read-only view of exact bytes.
 */

/**
 * A counter that follows `version` (bumped by the live stream on every change of the key) at most
 * once per `minMs`, trailing: a view re-reads on it, so a key written thousands of times a second
 * costs the server a bounded number of reads. Starts at 0; `enabled` false holds it.
 */
export function useThrottled(version: number, minMs: number, enabled = true): number {
  const [tick, setTick] = useState(0);
  const last = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    if (!enabled || timer.current !== undefined) return;
    const wait = Math.max(0, last.current + minMs - Date.now());
    timer.current = setTimeout(() => {
      timer.current = undefined;
      last.current = Date.now();
      setTick((n) => n + 1);
    }, wait);
  }, [version]);
  useEffect(() => () => clearTimeout(timer.current), []);
  return tick;
}

/**
 * A confirmation: what will happen, Cancel, and the action (danger styled). The action's error
 * is shown and the dialog stays; it closes once the action is done.
 */
export function Confirm(props: {
  id: string;
  title: string;
  action: string;
  danger?: boolean;
  onConfirm: () => Promise<void>;
  onClose: () => void;
  children: ComponentChildren;
}) {
  const { notify } = useConsole();
  const [busy, setBusy] = useState(false);
  return (
    <Dialog id={props.id} title={props.title} onClose={props.onClose}>
      {props.children}
      <div class="row end">
        <button type="button" onClick={props.onClose}>
          Cancel
        </button>
        <button
          type="button"
          class={props.danger === false ? "primary" : "danger"}
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            try {
              await props.onConfirm();
              props.onClose();
            } catch (e) {
              notify(errorText(e), "error");
            } finally {
              setBusy(false);
            }
          }}
        >
          {props.action}
        </button>
      </div>
    </Dialog>
  );
}

/**
 * Bytes shown read-only in the view that shows them exactly (Text, or Hex for binary and
 * invalid UTF-8), with Text/Hex tabs.
 */
export function BytesView(props: { label: string; bytes: Uint8Array }) {
  const { notify } = useConsole();
  const [draft, setDraft] = useState<BytesDraft>(() => draftOf(props.bytes, ELEMENT_VIEWS, undefined, "area"));
  useEffect(() => setDraft(draftOf(props.bytes, ELEMENT_VIEWS, undefined, "area")), [props.bytes]);
  return (
    <BytesField
      label={props.label}
      multiline
      readOnly
      views={ELEMENT_VIEWS}
      draft={draft}
      onDraft={(d) => setDraft(draftOf(props.bytes, ELEMENT_VIEWS, d.mode, "area"))}
      onError={(m) => notify(m, "error")}
    />
  );
}
