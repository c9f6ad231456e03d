// The playground's JavaScript, bundled by web/js/build.mjs into
// playground.js: the CodeMirror editor, the share link codec and the rule
// docs' Markdown renderer. The wasm glue imports it as "./playground.js"
// (web/src/js.rs).

import snarkdown from "snarkdown";

export { Editor } from "./editor.mjs";
export { encodeShare, decodeShare } from "./share.mjs";

/**
 * A rule's docs (`RuleMeta::docs`, our own Markdown) as HTML, without the
 * page title, headings demoted under the findings panel's own.
 */
export function markdown(text) {
  const body = text.replace(/^\s*# .*\n/, "");
  return snarkdown(body)
    .replace(/<h2>/g, "<h4>")
    .replace(/<\/h2>/g, "</h4>")
    .replace(/<a href=/g, '<a target="_blank" rel="noopener" href=');
}
