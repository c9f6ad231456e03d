// The page's side of the checker worker (web/worker.js): the core runs
// there, so the page only edits and draws. The app (web/src/worker.rs)
// asks for checks and fixes; this module sends them, one at a time, and
// hears the answers.
//
// - One request is in flight at a time; behind it wait only the newest
//   check and the newest fix (an older one waiting is dropped unsent).
// - An answer to a request that a newer one of its kind has made outdated
//   is dropped.
// - A request that runs longer than `timeoutMs` (an alias bomb, a
//   pathological input) is ended by terminating the worker; the app hears
//   `stopped`, and a new worker takes the next request. The time counts
//   from when the worker, loaded, has the request.
// - If no worker can be had (the browser refuses module workers, or the
//   script does not load), the same entries run in the page.

import { examples } from "./examples.mjs";

/** A worker started as soon as this module runs, while the page's wasm
 * still loads: its thread and script are ready when the app asks. */
let early = startWorker();

function startWorker() {
  try {
    return new Worker(new URL("worker.js", document.baseURI), { type: "module" });
  } catch {
    return null;
  }
}

export class Checker {
  /**
   * @param {string} glue URL of wasm-bindgen's glue (the app's `import.meta.url`)
   * @param {WebAssembly.Module} module the app's compiled wasm
   * @param {number} timeoutMs how long a request may run
   * @param {(kind: string, id: number, first: string | null, second: string | null) => void} onAnswer
   *   `first` and `second` are the entry's two strings; when the request was
   *   stopped, `first` is `null` and `second` the timeout in ms (`null`:
   *   the worker failed)
   */
  constructor(glue, module, timeoutMs, onAnswer) {
    Object.assign(this, { glue, module, timeoutMs, onAnswer });
    this.newest = { check: 0, fix: 0 };
    this.waiting = [];
    this.inFlight = null;
    this.nextId = 0;
    this.spawn();
  }

  spawn() {
    this.ready = false;
    this.worker = early ?? startWorker();
    early = null;
    if (!this.worker) return this.inPage();
    this.worker.onmessage = ({ data }) => {
      if (data.ready) {
        this.ready = true;
        this.watch();
      } else if (data.failed) {
        this.inPage();
      } else {
        this.answer(data.id, data.reply[0], data.reply[1]);
      }
    };
    // Before it is ready: no worker to be had. After: its request failed.
    this.worker.onerror = () => (this.ready ? this.stop(null) : this.inPage());
    this.worker.postMessage({ glue: this.glue, module: this.module });
    // What it checks when idle, to warm up (worker.js): the examples.
    const worker = this.worker;
    examples().then(
      (all) => worker.postMessage({ warmUp: Object.values(all).join("---\n") }),
      () => {},
    );
  }

  /** Check or fix in the page from now on (the glue is already loaded). */
  inPage() {
    this.end();
    this.local = import(this.glue);
    if (this.inFlight) this.run(this.inFlight);
  }

  end() {
    if (!this.worker) return;
    this.worker.onmessage = this.worker.onerror = null;
    this.worker.terminate();
    this.worker = null;
  }

  /**
   * @param {"check" | "fix"} kind
   * @param {string} text
   * @returns {number} the request's id, which its answer carries
   */
  send(kind, text, settings, lang, listed) {
    const id = ++this.nextId;
    this.newest[kind] = id;
    this.waiting = this.waiting.filter((r) => r.kind !== kind);
    this.waiting.push({ id, kind, text, settings, lang, listed });
    this.next();
    return id;
  }

  next() {
    if (this.inFlight || this.waiting.length === 0) return;
    const at = Math.max(0, this.waiting.findIndex((r) => r.kind === "check"));
    this.inFlight = this.waiting.splice(at, 1)[0];
    this.run(this.inFlight);
  }

  run(request) {
    if (this.worker) {
      this.worker.postMessage(request);
      this.watch();
    } else {
      this.local.then((glue) =>
        setTimeout(() => {
          const { kind, text, settings, lang, listed } = request;
          const reply = kind === "fix" ? glue.workerFix(text, settings, lang) : glue.workerCheck(text, settings, lang, listed);
          this.answer(request.id, reply[0], reply[1]);
        }),
      );
    }
  }

  /** Start the in-flight request's clock, once the worker can run it. */
  watch() {
    clearTimeout(this.watchdog);
    if (this.ready && this.inFlight) this.watchdog = setTimeout(() => this.stop(String(this.timeoutMs)), this.timeoutMs);
  }

  answer(id, first, second) {
    const request = this.inFlight;
    if (request?.id !== id) return;
    clearTimeout(this.watchdog);
    this.inFlight = null;
    if (this.newest[request.kind] === id) this.onAnswer(request.kind, id, first, second);
    this.next();
  }

  /** The in-flight request ran too long (`ms`), or its worker failed (`null`). */
  stop(ms) {
    const request = this.inFlight;
    clearTimeout(this.watchdog);
    this.inFlight = null;
    this.end();
    this.spawn();
    if (request && this.newest[request.kind] === request.id) this.onAnswer(request.kind, request.id, null, ms);
    this.next();
  }
}
