/**
 * The WebExtension API object: `browser` in Firefox, `chrome` in Chromium.
 * Both return promises in Manifest V3, so the rest of the code awaits either.
 */
export const ext = globalThis.browser ?? globalThis.chrome;
