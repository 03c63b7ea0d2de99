/**
 * Runs only on sites the user switched to automatic checking (registered by the service
 * worker with scripting.registerContentScripts, for sites whose permission was granted).
 * Asks for one check per page load, and on webmail again when another message is opened.
 */
(() => {
  if (globalThis.__factcheckAuto || window !== window.top) {
    return;
  }
  globalThis.__factcheckAuto = true;
  const ext = globalThis.browser ?? globalThis.chrome;
  const MESSAGE_BODIES = "[role=main] .a3s, [role=main] [aria-label='Message body'], [data-test-id='message-view-body-content']";

  function ask() {
    ext.runtime.sendMessage({ type: "autoCheck" }).catch(() => {});
  }

  ask();

  // Webmail opens messages without loading a page: ask again when the set of open bodies changes.
  let seen = new Set(document.querySelectorAll(MESSAGE_BODIES));
  let timer = null;
  const observer = new MutationObserver(() => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const now = new Set(document.querySelectorAll(MESSAGE_BODIES));
      const opened = [...now].some((body) => !seen.has(body));
      seen = now;
      if (opened) {
        ask();
      }
    }, 1_000);
  });
  if (document.body) {
    observer.observe(document.body, { childList: true, subtree: true });
  }
})();
