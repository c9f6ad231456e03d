// The examples menu's manifests, fetched once as the page loads from
// `examples.json` (web/js/build.mjs writes it; index.html preloads it, so
// the page makes no request after load; sw.js caches it): they are data,
// kept out of the wasm. The page's menu (main.mjs `exampleText`) and the
// checker worker's warm-up (checker.mjs) read them.

import { jsonAsset, preload } from "./assets.mjs";

/** The examples, `{ path: text }`. */
export function examples() {
  return jsonAsset("examples.json");
}

preload("examples.json");
