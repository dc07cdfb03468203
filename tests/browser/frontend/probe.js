// A frontend's view of the API: every call below is a real fetch() made by Chromium, so the
// browser's CORS checks decide what this script may read. Each function resolves (never rejects)
// to a plain object that WebDriver hands back to the Python test.
"use strict";

// Response headers this page asks for; the browser returns null for any it is not allowed to read.
const WATCHED_HEADERS = [
  "X-Request-ID", "Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
  "Content-Type",
];

async function call(url, init) {
  try {
    const response = await fetch(url, init);
    const text = await response.text();
    let body = text;
    try {
      body = JSON.parse(text);
    } catch (_) {
      // not JSON: keep the text
    }
    const headers = {};
    for (const name of WATCHED_HEADERS) headers[name] = response.headers.get(name);
    return {
      fetched: true,
      status: response.status,
      body,
      headers,
      readableHeaderNames: [...response.headers.keys()].sort(),
    };
  } catch (error) {
    // A CORS failure is a TypeError ("Failed to fetch") with no status, body or headers.
    return { fetched: false, errorName: error.name, errorMessage: String(error.message) };
  }
}

window.probe = {
  origin: () => Promise.resolve(window.location.origin),

  get: (url, headers = {}) => call(url, { credentials: "include", headers }),

  // JSON POST: Content-Type application/json is not CORS-safelisted, so the browser preflights it.
  postJson: (url, payload, headers = {}) =>
    call(url, {
      method: "POST",
      credentials: "include",
      headers: { "Content-Type": "application/json", ...headers },
      body: JSON.stringify(payload),
    }),

  // Several calls one after another (the order matters for rate limits).
  sequence: async (calls) => {
    const results = [];
    for (const [name, args] of calls) results.push(await window.probe[name](...args));
    return results;
  },
};
