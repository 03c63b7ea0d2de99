// Flat config: `npm run lint` (or `npx eslint .`) in extension/.
import js from "@eslint/js";
import globals from "globals";

const strict = {
  "no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
  "no-implied-eval": "error",
  "no-new-func": "error",
  "no-eval": "error",
  "no-restricted-properties": [
    "error",
    { object: "document", property: "write", message: "Never write markup into pages." },
  ],
  "no-restricted-syntax": [
    "error",
    {
      selector: "AssignmentExpression[left.property.name=/^(innerHTML|outerHTML)$/]",
      message: "Set textContent or build nodes: server data must never become markup.",
    },
    {
      selector: "CallExpression[callee.property.name='insertAdjacentHTML']",
      message: "Set textContent or build nodes: server data must never become markup.",
    },
  ],
  eqeqeq: ["error", "always"],
  curly: "error",
  "prefer-const": "error",
};

export default [
  { ignores: ["node_modules/**"] },
  js.configs.recommended,
  {
    // Extension pages and the service worker: ES modules.
    files: ["background.js", "popup.js", "options.js", "lib/**/*.js", "eslint.config.js"],
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: "module",
      globals: { ...globals.browser, ...globals.serviceworker, ...globals.webextensions },
    },
    rules: strict,
  },
  {
    // Test tools run by Node (firefox_check.mjs); their page callbacks run in the browser.
    files: ["tools/**/*.mjs"],
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: "module",
      globals: { ...globals.node, ...globals.browser, ...globals.webextensions },
    },
    rules: strict,
  },
  {
    // Content scripts: classic scripts injected into pages, each wrapped in an IIFE.
    files: ["content/**/*.js"],
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: "script",
      globals: { ...globals.browser, ...globals.webextensions },
    },
    rules: strict,
  },
];
