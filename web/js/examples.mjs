// The examples menu's manifests, fetched once as the page loads from
// `examples.json` (web/js/build.mjs writes it; index.html preloads it, so
// the page makes no request after load; sw.js caches it): they are data,
// kept out of the wasm. The page's menu (main.mjs `exampleText`) and the
// checker worker's warm-up (checker.mjs) read them.

let loaded;

/** The examples, `{ path: text }`; a failed fetch is tried again next time. */
export function examples() {
  loaded ??= fetch(new URL("examples.json", document.baseURI))
    .then((response) => {
      if (!response.ok) throw new Error(`examples.json: HTTP ${response.status}`);
      return response.json();
    })
    .catch((error) => {
      loaded = undefined;
      throw error;
    });
  return loaded;
}

if (typeof document !== "undefined") examples().catch(() => {});
