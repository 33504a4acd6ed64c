import { useState } from "preact/hooks";
import { applyChange, type Change } from "../model/change.js";
import { errorText, useConsole } from "./context.js";
import { Dialog } from "./dialog.js";

interface Pending {
  readonly change: Change;
  readonly reasons: readonly string[];
  readonly done: string;
}

/** What {@link useChangeRunner} gives a view. */
export interface ChangeRunner {
  /**
   * Applies a change (null: nothing changed, nothing is sent). Resolves true when it was applied
   * or there was nothing to do, false when it failed or waits for the user's decision.
   */
  run(change: Change | null, done: string): Promise<boolean>;
  /** The "Not saved" dialog while a change waits for the user's decision (render it). */
  readonly dialog: preact.JSX.Element | null;
}

/**
 * Runs the console's edits as precise, guarded changes. When a guard fails (another client
 * changed what the user edited, or the edit would merge or replace something), nothing was
 * written and a dialog says why and asks: save anyway, keep editing, or discard the edit.
 * `onSettled(applied)` follows a change applied (true) or an edit discarded (false).
 */
export function useChangeRunner(onSettled: (applied: boolean) => void): ChangeRunner {
  const { clients, notify } = useConsole();
  const [pending, setPending] = useState<Pending | null>(null);

  const attempt = async (change: Change, done: string, force: boolean): Promise<boolean> => {
    try {
      const outcome = await applyChange(clients, change, force);
      if (outcome.committed) {
        setPending(null);
        notify(done);
        onSettled(true);
        return true;
      }
      setPending({ change, reasons: outcome.reasons, done });
    } catch (e) {
      notify(errorText(e), "error");
    }
    return false;
  };

  const run = async (change: Change | null, done: string): Promise<boolean> => {
    if (change === null) {
      notify("No change: nothing was written");
      onSettled(false);
      return true;
    }
    return attempt(change, done, false);
  };

  const dialog = pending && (
    <Dialog id="not-saved" title="Not saved" onClose={() => setPending(null)}>
      <p>Nothing was written, because:</p>
      <ul class="reasons">
        {pending.reasons.map((r) => (
          <li key={r}>{r}</li>
        ))}
      </ul>
      <div class="row end wrap">
        <button
          type="button"
          onClick={() => {
            setPending(null);
            onSettled(false);
          }}
        >
          Discard my edit
        </button>
        <button type="button" onClick={() => setPending(null)}>
          Keep editing
        </button>
        <button type="button" class="danger" onClick={() => void attempt(pending.change, pending.done, true)}>
          Save anyway
        </button>
      </div>
    </Dialog>
  );
  return { run, dialog };
}
