// A static file server for the built playground, on 127.0.0.1 only, that
// mounts the dist under a sub-path (as a docs site would) to prove it is
// relocatable. No caching headers, so every run sees the current build.
//
//   node web/e2e/serve.mjs DIST [PORT] [MOUNT]   (defaults: 4173, /playground/)

import http from "node:http";
import fs from "node:fs";
import path from "node:path";

const [dist = "target/web", port = "4173", mount = "/playground/"] = process.argv.slice(2);
const root = path.resolve(dist);
const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

const server = http.createServer((req, res) => {
  const url = new URL(req.url, "http://127.0.0.1");
  if (url.pathname === mount.replace(/\/$/, "")) {
    res.writeHead(301, { location: mount + url.search });
    return res.end();
  }
  if (!url.pathname.startsWith(mount)) {
    res.writeHead(404);
    return res.end("not found");
  }
  let file = path.join(root, decodeURIComponent(url.pathname.slice(mount.length)));
  if (!file.startsWith(root)) {
    res.writeHead(403);
    return res.end();
  }
  if (file === root || file.endsWith(path.sep)) file = path.join(file, "index.html");
  fs.readFile(file, (err, body) => {
    if (err) {
      res.writeHead(404);
      return res.end("not found");
    }
    res.writeHead(200, {
      "content-type": types[path.extname(file)] ?? "application/octet-stream",
      "cache-control": "no-cache",
    });
    res.end(body);
  });
});
server.listen(Number(port), "127.0.0.1", () => {
  console.log(`serving ${root} at http://127.0.0.1:${port}${mount}`);
});
