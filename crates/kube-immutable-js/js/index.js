// The package's entry for browsers and bundlers (ESM). The WebAssembly is
// fetched from beside this file (`new URL(…, import.meta.url)`, which
// bundlers follow) and instantiated before this module resolves, so
// `check()` works as soon as `import` does. Node gets `node.js` instead
// (package.json `exports`). Types: index.d.ts.
import init from "./kube_immutable_wasm.js";

export { check, fix, rules, toValidatingAdmissionPolicy, version } from "./kube_immutable_wasm.js";

await init({ module_or_path: new URL("./kube_immutable_wasm_bg.wasm", import.meta.url) });
