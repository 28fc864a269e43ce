// The player app's service worker. It keeps one thing: the page that says the app
// needs the network. A page, a script or an answer always comes from the network, so
// a game is never served stale; only a page that cannot load gets the offline page.
const CACHE = "quizboard-offline-v2";
const OFFLINE = "/web/offline.html";
const KEPT = [OFFLINE, "/web/app.css", "/web/icons/icon-192.png"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(KEPT)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(() => caches.match(OFFLINE)));
  } else if (KEPT.includes(new URL(request.url).pathname)) {
    event.respondWith(fetch(request).catch(() => caches.match(request)));
  }
});
