// The dashboard speaks the public JSON API with its session cookie; every write carries the
// session's CSRF token (see dashboard/session.py). A 401 means the session ended: back to sign-in.
const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? "";

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.detail) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = csrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (response.status === 401) {
    window.location.assign("/login");
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** A fresh idempotency key for one order ticket submission. */
export function newClientOrderId() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** "Not there on this server" (an endpoint another release adds) vs a real failure. */
export const isMissing = (err) => err instanceof ApiError && (err.status === 404 || err.status === 405);
