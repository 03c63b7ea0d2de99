/**
 * The only code that talks to the factcheck server. It builds the exact request bodies
 * (the options page previews them with the same functions) and turns every way a request
 * can fail into an ApiError with a code the popup knows how to explain:
 *
 *   unreachable   the server did not answer (not running, wrong URL, offline)
 *   timeout       no complete answer within settings.timeoutMs (AbortController)
 *   rate_limited  429; `retryAfterS` says when to try again (Retry-After header)
 *   http_error    any other non-2xx; `status`, the server's message and request id
 *   bad_response  a 2xx whose body is not the JSON we expect
 */

export const MAX_TEXT_CHARS = 100_000;

export class ApiError extends Error {
  constructor(code, message, { status = 0, retryAfterS = null, requestId = "", serverCode = "" } = {}) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = status;
    this.retryAfterS = retryAfterS;
    this.requestId = requestId;
    this.serverCode = serverCode;
  }

  toJSON() {
    return {
      code: this.code,
      message: this.message,
      status: this.status,
      retryAfterS: this.retryAfterS,
      requestId: this.requestId,
      serverCode: this.serverCode,
    };
  }
}

// A BCP 47 tag as the API takes one ("fr", "fr-CA"); a page's `lang` that is not one is left out.
const LANGUAGE_TAG = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/;

/** The body of `POST /v1/check` for text taken from a page: with the page's declared language. */
export function buildCheckRequest(extracted, settings) {
  const body = { text: String(extracted.text ?? "").slice(0, MAX_TEXT_CHARS) };
  if (LANGUAGE_TAG.test(extracted.language ?? "")) {
    body.language = extracted.language;
  }
  if (settings.sendSourceUrl && extracted.url && /^https?:/.test(extracted.url)) {
    body.source_url = stripFragment(extracted.url).slice(0, 2048);
  }
  return body;
}

/** The body of `POST /v1/reports`: a claim the user wants the editors to look at. */
export function buildReportRequest({ text, url, context = "", comment = "" }, settings) {
  const body = {
    text: String(text).trim().slice(0, 5_000),
    context: String(context).trim().slice(0, 5_000),
    comment: String(comment).trim().slice(0, 2_000),
  };
  if (settings.sendSourceUrl && url && /^https?:/.test(url)) {
    body.source_url = stripFragment(url).slice(0, 2048);
  }
  return body;
}

/**
 * Sent with every request so the server can tell the extension's checks from other API clients
 * (the editors' queue shows "Extension" as their origin). It names the extension, nothing else.
 */
export const CLIENT_HEADERS = { "X-Factcheck-Client": `factcheck-extension/${extensionVersion()}` };

function extensionVersion() {
  try {
    return globalThis.chrome?.runtime?.getManifest?.().version ?? "dev";
  } catch {
    return "dev";
  }
}

const HEADERS = { "Content-Type": "application/json", Accept: "application/json", ...CLIENT_HEADERS };

/** What `fetch` is called with, as shown in the options page's "what is sent" preview. */
export function describeRequest(path, body, settings) {
  return {
    method: "POST",
    url: `${settings.serverUrl}${path}`,
    headers: HEADERS,
    credentials: "omit",
    body,
  };
}

export function checkText(body, settings, fetchImpl = globalThis.fetch) {
  return postJson(`${settings.serverUrl}/v1/check`, body, settings.timeoutMs, fetchImpl);
}

export function sendReport(body, settings, fetchImpl = globalThis.fetch) {
  return postJson(`${settings.serverUrl}/v1/reports`, body, settings.timeoutMs, fetchImpl);
}

export async function postJson(url, body, timeoutMs, fetchImpl = globalThis.fetch) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    let response;
    try {
      response = await fetchImpl(url, {
        method: "POST",
        headers: HEADERS,
        body: JSON.stringify(body),
        signal: controller.signal,
        // No cookies, no referrer, no cache: the server learns only what the preview shows.
        credentials: "omit",
        referrerPolicy: "no-referrer",
        cache: "no-store",
      });
    } catch (error) {
      throw networkError(error, controller, url, timeoutMs);
    }
    let payload = null;
    let raw = "";
    try {
      raw = await response.text();
      payload = raw ? JSON.parse(raw) : null;
    } catch (error) {
      if (controller.signal.aborted) {
        throw networkError(error, controller, url, timeoutMs);
      }
      payload = null;
    }
    if (!response.ok) {
      throw httpError(response, payload);
    }
    if (payload === null || typeof payload !== "object") {
      throw new ApiError("bad_response", "The server's answer was not JSON. Is the server URL right?", {
        status: response.status,
      });
    }
    return payload;
  } finally {
    clearTimeout(timer);
  }
}

function networkError(error, controller, url, timeoutMs) {
  if (controller.signal.aborted || error?.name === "AbortError") {
    return new ApiError(
      "timeout",
      `The factcheck server did not answer within ${Math.round(timeoutMs / 1000)} seconds. Try again in a moment.`,
    );
  }
  return new ApiError(
    "unreachable",
    `Can't reach the factcheck server at ${originOf(url)}. Is it running? You can change the server in the options.`,
  );
}

function httpError(response, payload) {
  const detail = payload && typeof payload === "object" ? payload.error ?? {} : {};
  const requestId = detail.request_id || response.headers.get("X-Request-ID") || "";
  const serverMessage = typeof detail.message === "string" ? detail.message : "";
  if (response.status === 429) {
    const retryAfterS = parseRetryAfter(response.headers.get("Retry-After"));
    const when = retryAfterS === null ? "in a little while" : `in ${formatSeconds(retryAfterS)}`;
    return new ApiError("rate_limited", `The factcheck server is busy (too many checks). Try again ${when}.`, {
      status: 429,
      retryAfterS,
      requestId,
      serverCode: detail.code ?? "",
    });
  }
  const what = serverMessage || response.statusText || "no details";
  return new ApiError("http_error", `The factcheck server answered ${response.status}: ${what}`, {
    status: response.status,
    requestId,
    serverCode: detail.code ?? "",
  });
}

/** Retry-After is either a number of seconds or an HTTP date (RFC 9110, section 10.2.3). */
export function parseRetryAfter(value, now = Date.now()) {
  if (value === null || value === undefined || value === "") {
    return null;
  }
  const text = String(value).trim();
  if (/^\d+$/.test(text)) {
    return Number(text);
  }
  const when = Date.parse(text);
  if (Number.isNaN(when)) {
    return null;
  }
  return Math.max(0, Math.ceil((when - now) / 1000));
}

export function formatSeconds(seconds) {
  if (seconds < 90) {
    return `${seconds} second${seconds === 1 ? "" : "s"}`;
  }
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minutes`;
}

function originOf(url) {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

function stripFragment(url) {
  const hash = url.indexOf("#");
  return hash === -1 ? url : url.slice(0, hash);
}
