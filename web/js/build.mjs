// Bundles the playground's JavaScript (web/js/main.mjs: the CodeMirror editor
// from the npm packages pinned in package-lock.json, and the share link
// codec) into one minified ES module, `playground.js`, and the examples
// menu's manifests into `examples.json`.
//
// Trunk runs this as a pre-build hook (Trunk.toml) and it writes into
// Trunk's staging folder ($TRUNK_STAGING_DIR), so the bundle lands next to
// the app's JS glue; index.html runs it before the app, which finds it in
// a global (web/src/js.rs). Outside Trunk, pass the output folder as the
// first argument.

import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = process.argv[2] ?? process.env.TRUNK_STAGING_DIR;
if (!outdir) {
  console.error("usage: node web/js/build.mjs OUTDIR (or run it from Trunk, which sets TRUNK_STAGING_DIR)");
  process.exit(2);
}

await build({
  entryPoints: [path.join(here, "main.mjs")],
  outfile: path.join(outdir, "playground.js"),
  bundle: true,
  format: "esm",
  minify: true,
  target: ["es2020"],
  legalComments: "none",
  logLevel: "warning",
});

// The examples menu's manifests (web/src/examples.rs), by path from the
// repository's root: data, kept out of the wasm the browser compiles
// before the first check. main.mjs fetches the file as the page loads.
const root = path.join(here, "..", "..");
const examples = {};
for (const dir of ["examples", "web/examples"]) {
  for (const name of readdirSync(path.join(root, dir)).sort()) {
    if (/\.(ya?ml|json)$/.test(name)) examples[`${dir}/${name}`] = readFileSync(path.join(root, dir, name), "utf8");
  }
}
writeFileSync(path.join(outdir, "examples.json"), JSON.stringify(examples));
