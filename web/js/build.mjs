// Bundles the playground's JavaScript (web/js/main.mjs: the CodeMirror editor
// from the npm packages pinned in package-lock.json, and the share link
// codec) into one minified ES module, `playground.js`.
//
// Trunk runs this as a pre-build hook (Trunk.toml) and it writes into
// Trunk's staging folder ($TRUNK_STAGING_DIR), so the bundle lands next to
// the app's JS glue; index.html runs it before the app, which finds it in
// a global (web/src/js.rs). Outside Trunk, pass the output folder as the
// first argument.

import { build } from "esbuild";
import { fileURLToPath } from "node:url";
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
