// Keeps the playground working offline once it has loaded: on install it
// caches the page, every file the page links (read from index.html, so it
// works under any sub-path and with Trunk's hashed names) and the checker
// worker's script, which the page starts by name; afterwards each
// request goes to the network first (a new release is picked up at once)
// and falls back to the cache when offline. Nothing but the playground's own
// files is ever fetched or cached.

const CACHE = "kube-immutable-playground-v1";
const scope = new URL(self.registration.scope);

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      const index = new URL("./", scope).href;
      const response = await fetch(index, { cache: "no-cache" });
      const html = await response.clone().text();
      await cache.put(index, response);
      // Quoted or not: the release build's index.html is minified.
      const linked = [...html.matchAll(/(?:href|src)=(?:"([^"#]+)"|([^\s"'>#]+))/g)]
        .map((m) => new URL(m[1] ?? m[2], index))
        .filter((url) => url.origin === scope.origin && url.pathname.startsWith(scope.pathname))
        .map((url) => url.href);
      linked.push(new URL("worker.js", index).href);
      await cache.addAll([...new Set(linked)]);
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        if (key !== CACHE) await caches.delete(key);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) {
    return;
  }
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      // The page itself is cached once, whatever its query (?embed=1, ?lang=fr).
      const key = request.mode === "navigate" ? new URL("./", scope).href : request;
      try {
        const response = await fetch(request);
        if (response.ok) await cache.put(key, response.clone());
        return response;
      } catch (offline) {
        const cached = await cache.match(key, { ignoreSearch: request.mode === "navigate" });
        if (cached) return cached;
        throw offline;
      }
    })(),
  );
});
