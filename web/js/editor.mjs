// The playground's editor: CodeMirror 6 behind the small interface that
// web/src/js.rs declares. Bundled by web/js/build.mjs (esbuild) into
// playground.js at build time; the bundle is never committed.
//
// Positions cross this boundary as UTF-16 offsets (what CodeMirror counts),
// computed by the core. This module is the only place that turns them into
// editor ranges.

import { EditorState, Compartment } from "@codemirror/state";
import {
  EditorView,
  keymap,
  lineNumbers,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  drawSelection,
} from "@codemirror/view";
import {
  standardKeymap,
  history,
  historyKeymap,
  indentWithTab,
  moveLineUp,
  moveLineDown,
  copyLineUp,
  copyLineDown,
  deleteLine,
  simplifySelection,
  toggleTabFocusMode,
} from "@codemirror/commands";
import {
  StreamLanguage,
  HighlightStyle,
  syntaxHighlighting,
  indentUnit,
} from "@codemirror/language";
import { yaml } from "@codemirror/legacy-modes/mode/yaml";
import { lintGutter, setDiagnostics, forEachDiagnostic } from "@codemirror/lint";
import { tags } from "@lezer/highlight";

// CodeMirror's defaultKeymap, less the commands that walk a syntax tree
// (bracket matching, parent selection, block comments), which the legacy
// YAML mode does not build: 2.5 KB gzipped of the dist's 350 KB budget.
// Line comments are YAML's `#`, toggled by yamlComment below.
const editKeys = [
  { key: "Alt-ArrowUp", run: moveLineUp },
  { key: "Alt-ArrowDown", run: moveLineDown },
  { key: "Shift-Alt-ArrowUp", run: copyLineUp },
  { key: "Shift-Alt-ArrowDown", run: copyLineDown },
  { key: "Shift-Mod-k", run: deleteLine },
  { key: "Mod-/", run: yamlComment },
  { key: "Escape", run: simplifySelection },
  { key: "Ctrl-m", mac: "Shift-Alt-m", run: toggleTabFocusMode },
];

/**
 * Comments out the selected lines with `# ` at their smallest indentation,
 * or, when every non-blank one is commented already, uncomments them.
 * @param {EditorView} view
 */
export function yamlComment(view) {
  const { state } = view;
  const lines = new Map();
  for (const range of state.selection.ranges) {
    const last = state.doc.lineAt(range.to).number;
    for (let n = state.doc.lineAt(range.from).number; n <= last; n++) {
      lines.set(n, state.doc.line(n));
    }
  }
  const text = [...lines.values()].filter((line) => line.text.trim() !== "");
  if (text.length === 0) return false;
  const indent = (line) => line.text.length - line.text.trimStart().length;
  const commented = text.every((line) => line.text.trimStart().startsWith("#"));
  const column = Math.min(...text.map(indent));
  const changes = text.map((line) => {
    const at = line.from + indent(line);
    if (!commented) return { from: line.from + column, insert: "# " };
    const space = line.text.charAt(indent(line) + 1) === " " ? 1 : 0;
    return { from: at, to: at + 1 + space };
  });
  view.dispatch({ changes, scrollIntoView: true, userEvent: commented ? "uncomment" : "comment" });
  return true;
}

// Colours come from the page's CSS custom properties, so one theme serves
// light and dark (web/style.css).
const theme = EditorView.theme({
  "&": { height: "100%", color: "var(--fg)", backgroundColor: "var(--editor-bg)" },
  ".cm-scroller": { fontFamily: "var(--mono)", lineHeight: "1.5" },
  ".cm-content": { caretColor: "var(--fg)" },
  ".cm-gutters": {
    backgroundColor: "var(--gutter-bg)",
    color: "var(--muted)",
    borderRight: "1px solid var(--border)",
  },
  ".cm-activeLine": { backgroundColor: "var(--active-line)" },
  ".cm-activeLineGutter": { backgroundColor: "var(--active-line)", color: "var(--fg)" },
  "&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection": {
    backgroundColor: "var(--selection) !important",
  },
  ".cm-tooltip": {
    backgroundColor: "var(--panel-bg)",
    color: "var(--fg)",
    border: "1px solid var(--border)",
  },
  ".cm-diagnostic": { whiteSpace: "pre-wrap", maxWidth: "36em" },
  ".cm-diagnostic-error": { borderLeftColor: "var(--error)" },
  ".cm-diagnostic-warning": { borderLeftColor: "var(--warning)" },
  ".cm-diagnosticSource": { color: "var(--muted)", opacity: "1" },
});

const highlight = HighlightStyle.define([
  { tag: [tags.keyword, tags.atom, tags.bool], color: "var(--syntax-atom)" },
  { tag: [tags.number], color: "var(--syntax-number)" },
  { tag: [tags.string], color: "var(--syntax-string)" },
  { tag: [tags.comment], color: "var(--syntax-comment)", fontStyle: "italic" },
  { tag: [tags.definition(tags.propertyName), tags.propertyName, tags.attributeName], color: "var(--syntax-key)" },
  { tag: [tags.meta, tags.labelName], color: "var(--syntax-meta)" },
]);

/** Whether the editor shows exactly these diagnostics, where they are. */
function sameDiagnostics(state, diagnostics) {
  const key = (from, to, d) => `${from} ${to} ${d.severity} ${d.source} ${d.message}`;
  const shown = new Map();
  let count = 0;
  forEachDiagnostic(state, (d, from, to) => {
    const k = key(from, to, d);
    shown.set(k, (shown.get(k) ?? 0) + 1);
    count++;
  });
  if (count !== diagnostics.length) return false;
  for (const d of diagnostics) {
    const k = key(d.from, d.to, d);
    const n = shown.get(k);
    if (!n) return false;
    shown.set(k, n - 1);
  }
  return true;
}

export class Editor {
  /**
   * @param {HTMLElement} parent where the editor goes
   * @param {string} doc initial text
   * @param {string} label accessible name of the text area
   * @param {() => void} onChange called after every change of the text
   * @param {() => void} onRun called on Ctrl/Cmd+Enter
   */
  constructor(parent, doc, label, onChange, onRun) {
    this.label = new Compartment();
    const runKeys = [
      { key: "Mod-Enter", run: () => (onRun(), true), preventDefault: true },
    ];
    this.view = new EditorView({
      parent,
      state: EditorState.create({
        doc,
        extensions: [
          lineNumbers(),
          highlightActiveLineGutter(),
          highlightSpecialChars(),
          history(),
          drawSelection(),
          highlightActiveLine(),
          indentUnit.of("  "),
          EditorState.tabSize.of(2),
          StreamLanguage.define(yaml),
          syntaxHighlighting(highlight),
          lintGutter(),
          keymap.of([...runKeys, ...editKeys, ...standardKeymap, ...historyKeymap, indentWithTab]),
          theme,
          this.label.of(EditorView.contentAttributes.of({ "aria-label": label })),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) onChange();
          }),
        ],
      }),
    });
  }

  /**
   * The whole text: a string that goes to the checker worker as it is
   * (web/js/checker.mjs), never encoded on the main thread.
   */
  text() {
    return this.view.state.doc.toString();
  }

  /** Replace the whole text (one undoable change). */
  setText(text) {
    this.view.dispatch({
      changes: { from: 0, to: this.view.state.doc.length, insert: text },
      selection: { anchor: 0 },
      scrollIntoView: true,
    });
  }

  /**
   * Show findings and input errors: a JSON array of
   * `[from, to, warning (1 or 0), source, message]` with UTF-16 offsets.
   * A range over several lines is underlined on its first line only (a
   * missing field points at the mapping it belongs in).
   */
  setDiagnostics(json) {
    const state = this.view.state;
    const length = state.doc.length;
    const diagnostics = JSON.parse(json).map(([start, end, warning, source, message]) => {
      const from = Math.min(Math.max(0, start), length);
      const line = state.doc.lineAt(from);
      const to = Math.max(from, Math.min(end, line.to, length));
      return { from, to, severity: warning ? "warning" : "error", source, message };
    });
    // The editor moves its markers with each edit: after most keystrokes
    // they are already these (a 1 MB manifest has ~2,400; setting them
    // again was most of the page's work for a keystroke).
    if (!sameDiagnostics(state, diagnostics)) this.view.dispatch(setDiagnostics(state, diagnostics));
  }

  /**
   * Select a UTF-16 range and scroll it into view; with `focus`, move the
   * keyboard focus to the editor too.
   */
  select(from, to, focus) {
    const length = this.view.state.doc.length;
    const anchor = Math.min(Math.max(0, from), length);
    const head = Math.min(Math.max(anchor, to), length);
    this.view.dispatch({
      selection: { anchor, head },
      effects: EditorView.scrollIntoView(anchor, { y: "center" }),
    });
    if (focus) this.view.focus();
  }

  /**
   * Select from a 1-based line and 0-based UTF-16 column to another (the
   * findings panel's ranges: lines move less than offsets), without moving
   * the focus.
   */
  selectRange(line, column, endLine, endColumn) {
    const doc = this.view.state.doc;
    const at = (l, c) => {
      const found = doc.line(Math.min(Math.max(1, Math.trunc(l) || 1), doc.lines));
      return Math.min(found.from + c, found.to);
    };
    this.select(at(line, column), at(endLine, endColumn), false);
  }

  /** Put the cursor at the start of a 1-based line (clamped). */
  goToLine(line) {
    const doc = this.view.state.doc;
    const n = Math.min(Math.max(1, Math.trunc(line) || 1), doc.lines);
    const at = doc.line(n).from;
    this.select(at, at, true);
  }

  setLabel(label) {
    this.view.dispatch({
      effects: this.label.reconfigure(EditorView.contentAttributes.of({ "aria-label": label })),
    });
  }

  focus() {
    this.view.focus();
  }

  destroy() {
    this.view.destroy();
  }
}
