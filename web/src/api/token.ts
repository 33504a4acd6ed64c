/**
 * The console's bearer token: kept in sessionStorage (gone when the tab closes), never in the URL.
 */
const KEY = "memorabilia.token";

/** The token of this tab's session, or null. */
export function loadToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

/** Stores (or, with null, forgets) the token for this tab's session. */
export function saveToken(token: string | null): void {
  try {
    if (token === null) sessionStorage.removeItem(KEY);
    else sessionStorage.setItem(KEY, token);
  } catch {
    // Storage may be disabled; the token then lives only in memory for this page.
  }
}
