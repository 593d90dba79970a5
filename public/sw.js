// Timesheets service worker: makes the app installable and opens it without network.
//
// - Precaches the app's pages and this build's hashed bundle into a cache named after the
//   build, and deletes the caches of older builds when it takes over.
// - Without network, a page opens from that cache; any other address shows the offline page.
// - Never caches the API or server functions (everything under /api/): time data is
//   always fresh and never left behind on a shared phone.
// - A new version waits until the page asks it to take over (message "SKIP_WAITING"),
//   so an open form is never reloaded under the user's fingers.
// - Shows the server's reminders (Web Push: JSON {title, body, url, tag, badge}) as
//   notifications, sets the app badge where the system has one, and a tap on one opens
//   its screen: in an open window of the app if there is one, else a new one.

// The server replaces this line with the current build (see server/src/assets.rs).
const BUILD = { version: "unbuilt", precache: ["/"] };
const CACHE = `timesheets-${BUILD.version}`;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(BUILD.precache)));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names
            .filter((name) => name.startsWith("timesheets-") && name !== CACHE)
            .map((name) => caches.delete(name)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("message", (event) => {
  if (event.data === "SKIP_WAITING") {
    self.skipWaiting();
  } else if (event.data === "CLAIM") {
    // Sent by a page that no worker controls: one whose navigation raced this worker's
    // activation, and so was not there yet for the claim above.
    event.waitUntil(self.clients.claim());
  }
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  // Time data and sign-in traffic always go to the network, never to a cache.
  if (["/api/", "/oauth/", "/.well-known/", "/auth/"].some((prefix) => url.pathname.startsWith(prefix))) return;

  if (request.mode === "navigate") {
    // Pages: the network first (they are rendered for the latest build); offline, the
    // cached page (the app fills it in), else the offline page.
    event.respondWith(
      fetch(request).catch(async () => {
        const cache = await caches.open(CACHE);
        return (
          (await cache.match(url.pathname, { ignoreSearch: true })) ||
          (await cache.match("/offline.html")) ||
          Response.error()
        );
      }),
    );
    return;
  }

  // Hashed bundle files and icons never change under the same URL: cache first.
  event.respondWith(
    caches.match(request, { cacheName: CACHE }).then((cached) => cached || fetch(request)),
  );
});

self.addEventListener("push", (event) => {
  let reminder;
  try {
    reminder = event.data ? event.data.json() : null;
  } catch {
    reminder = null;
  }
  reminder ??= { title: "Timesheets", body: "", url: "/", tag: "reminder", badge: 0 };
  const shown = self.registration.showNotification(reminder.title, {
    body: reminder.body,
    tag: reminder.tag,
    icon: "/icons/icon-192.png",
    data: { url: reminder.url },
  });
  const badge =
    "setAppBadge" in navigator && reminder.badge > 0
      ? navigator.setAppBadge(reminder.badge).catch(() => {})
      : Promise.resolve();
  event.waitUntil(Promise.all([shown, badge]));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  // Only this app's own screens: a reminder never opens another site.
  const target = new URL(event.notification.data?.url ?? "/", self.location.origin);
  const url = target.origin === self.location.origin ? target.href : self.location.origin + "/";
  event.waitUntil(openScreen(url));
});

async function openScreen(url) {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const open = windows.find((client) => new URL(client.url).origin === self.location.origin);
  if (open) {
    const shown = (await open.navigate(url).catch(() => null)) ?? open;
    // Focusing needs the tap's user activation; without it the screen still changed.
    return shown.focus().catch(() => shown);
  }
  return self.clients.openWindow(url);
}
