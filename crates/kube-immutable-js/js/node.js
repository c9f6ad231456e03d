// The package's entry for Node >= 18 (package.json `exports`, condition
// `node`): reads the WebAssembly from disk and instantiates it synchronously,
// so `import { check } from "kube-immutable"` is ready at once (and, having
// no top-level await, also loads with `require` where Node allows it).
// Types: node.d.ts.
import { readFileSync } from "node:fs";
import { initSync } from "./kube_immutable_wasm.js";

export { check, fix, rules, toValidatingAdmissionPolicy, version } from "./kube_immutable_wasm.js";

initSync({ module: readFileSync(new URL("./kube_immutable_wasm_bg.wasm", import.meta.url)) });
