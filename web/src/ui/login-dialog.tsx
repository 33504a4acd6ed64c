import { useState } from "preact/hooks";
import { Dialog } from "./dialog.js";

/** Asks for the server's access token (kept in this tab's sessionStorage, never in the URL). */
export function LoginDialog(props: { error: string | null; onToken: (token: string) => void }) {
  const [token, setToken] = useState("");
  return (
    <Dialog id="login" title="Sign in" onClose={() => {}}>
      <form
        class="form"
        onSubmit={(e) => {
          e.preventDefault();
          if (token) props.onToken(token);
        }}
      >
        <p>This server requires an access token.</p>
        <label>
          Token
          <input
            type="password"
            autoComplete="current-password"
            required
            value={token}
            onInput={(e) => setToken((e.currentTarget as HTMLInputElement).value)}
          />
        </label>
        {props.error && (
          <p class="error" role="alert">
            {props.error}
          </p>
        )}
        <div class="row end">
          <button type="submit" class="primary">
            Sign in
          </button>
        </div>
      </form>
    </Dialog>
  );
}
