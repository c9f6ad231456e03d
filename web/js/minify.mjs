// Minifies what Trunk leaves readable in a release dist: wasm-bindgen's JS
// glue (an ES module) and the service worker (a classic script). Run by
// `cargo xtask build-web` after Trunk (which minifies index.html and the CSS
// itself, with their integrity hashes) and after wasm-opt; never in
// `trunk serve`, so the dev build stays readable.
//
//   node web/js/minify.mjs DIST

import { transform } from "esbuild";
import fs from "node:fs";
import path from "node:path";

const dist = process.argv[2];
if (!dist) {
  console.error("usage: node web/js/minify.mjs DIST");
  process.exit(2);
}

for (const name of fs.readdirSync(dist)) {
  // playground.js comes out of esbuild minified already.
  if (!name.endsWith(".js") || name === "playground.js") continue;
  const file = path.join(dist, name);
  const source = fs.readFileSync(file, "utf8");
  const { code } = await transform(source, {
    minify: true,
    target: "es2020",
    legalComments: "none",
    // The glue is a module; sw.js is a classic worker script.
    format: name === "sw.js" ? undefined : "esm",
  });
  fs.writeFileSync(file, code);
}
