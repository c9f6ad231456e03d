// The playground's JSON data files (`rule-pages.json`, `examples.json`):
// data kept out of the wasm, preloaded by index.html and cached by sw.js.
// Each is fetched once, as the page loads, so the page makes no request
// after load; a failed fetch is tried again on the next call.

const loading = new Map();

/** The parsed JSON of the file `name`, next to the page. */
export function jsonAsset(name) {
  let promise = loading.get(name);
  if (!promise) {
    promise = fetch(new URL(name, document.baseURI))
      .then((response) => {
        if (!response.ok) throw new Error(`${name}: HTTP ${response.status}`);
        return response.json();
      })
      .catch((error) => {
        loading.delete(name);
        throw error;
      });
    loading.set(name, promise);
  }
  return promise;
}

/** Starts fetching `names` now (in a page, not in the checker worker). */
export function preload(...names) {
  if (typeof document === "undefined") return;
  for (const name of names) jsonAsset(name).catch(() => {});
}
