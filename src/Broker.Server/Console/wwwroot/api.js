import { notice, replace } from "./dom.js";

// The key lives in sessionStorage only (gone when the tab closes; never a cookie, never localStorage) and travels
// only in the Authorization header, so no other site can make the browser send it (no CSRF by construction).
const storageKey = "broker.console.key";

// The REST API sits at the root this console is served under (/console/ → /), also behind a path prefix.
const apiRoot = new URL("../", import.meta.url);

export function currentKey() {
  return sessionStorage.getItem(storageKey);
}

export function keepKey(key) {
  sessionStorage.setItem(storageKey, key);
}

export function forgetKey() {
  sessionStorage.removeItem(storageKey);
}

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

/** Calls the REST API with the signed-in key (or the one given); returns the parsed JSON or throws ApiError. */
export async function api(method, path, body, key = currentKey()) {
  const headers = { Accept: "application/json" };
  if (key) {
    headers.Authorization = `Bearer ${key}`;
  }
  const init = { method, headers, credentials: "omit", cache: "no-store", redirect: "error", referrerPolicy: "no-referrer" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }

  let response;
  try {
    response = await fetch(new URL(path.replace(/^\//, ""), apiRoot), init);
  } catch {
    throw new ApiError(0, "The broker could not be reached.");
  }

  const type = response.headers.get("Content-Type") ?? "";
  const json = type.includes("json") ? await response.json().catch(() => null) : null;
  if (!response.ok) {
    throw new ApiError(response.status, json?.detail ?? response.statusText);
  }
  return json;
}

/** The words a person reads for a failed call. */
export function describe(error) {
  if (!(error instanceof ApiError)) {
    return `Unexpected error: ${error}`;
  }
  switch (error.status) {
    case 401:
      return "The key was not accepted: it is unknown, revoked or expired.";
    case 403:
      return `Forbidden: this key may not do that. ${error.message}`;
    case 429:
      return "Too many requests: wait a moment and try again.";
    case 0:
      return error.message;
    default:
      return `${error.status}: ${error.message}`;
  }
}

export const enc = encodeURIComponent;

/** Shows a failed call in a status area; a 401 (the key was revoked or expired meanwhile) signs out instead. */
export function failed(error, where) {
  if (error instanceof ApiError && error.status === 401) {
    window.dispatchEvent(new Event("broker:unauthenticated"));
    return;
  }
  replace(where, notice("error", describe(error)));
}
