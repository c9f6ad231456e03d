// The playground's checker: a module Web Worker that runs the core, so the
// page only edits and draws. It loads the page's own wasm: the page sends
// wasm-bindgen's glue URL (its `import.meta.url`) and the module it has
// already compiled, so nothing is fetched or compiled twice. The app's
// `main` sees it is not in a window and renders nothing; the page's
// requests are answered by the app's exported entries (web/src/worker.rs).
//
// Requests: { id, kind: "check" | "fix", text, settings
// (JSON), lang, listed }. Replies: { ready } once loaded, { failed } if the
// glue or the wasm cannot load, then { id, kind, reply } for each request,
// in order. A check that runs too long is ended by the page, which
// terminates this worker and starts another.
//
// Once loaded, between requests, it checks the examples a few times
// (`workerWarmUp`; the page sends them as { warmUp: text } when it has
// them): the browser then compiles the hot functions with its optimising
// tier before a long text arrives.

let glue;
const waiting = [];
let warmUps = 6;
let examples;

const warmUp = () => {
  if (!glue || examples === undefined || warmUps-- <= 0) return;
  glue.workerWarmUp(examples);
  // One at a time, each its own task: a request waits for one at most.
  setTimeout(warmUp);
};

const answer = ({ id, kind, text, settings, lang, listed }) => {
  const reply = kind === "fix" ? glue.workerFix(text, settings, lang) : glue.workerCheck(text, settings, lang, listed);
  self.postMessage({ id, kind, reply });
};

self.onmessage = async ({ data }) => {
  if (data.warmUp !== undefined) {
    examples = data.warmUp;
    setTimeout(warmUp);
    return;
  }
  if (data.glue === undefined) {
    if (glue) answer(data);
    else waiting.push(data);
    return;
  }
  try {
    const loaded = await import(data.glue);
    await loaded.default({ module_or_path: data.module });
    glue = loaded;
  } catch (error) {
    self.postMessage({ failed: String(error) });
    return;
  }
  self.postMessage({ ready: true });
  for (const request of waiting.splice(0)) answer(request);
  setTimeout(warmUp);
};
