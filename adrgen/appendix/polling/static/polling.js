// Client for adrgen's reference polling implementation (decision 0001: poll every 30 s).
//
// - polls with ±20 % jitter, so clients that loaded together do not stay in lockstep;
// - sends If-None-Match, so an unchanged list costs a 304 and no re-render;
// - never retries before Retry-After (429, 503) and backs off exponentially, with jitter, on
//   errors, so an outage is not followed by a synchronised stampede;
// - stops while the tab is hidden and polls soon after it is shown again.
//
// Bodies arrive as HTML sanitised by the server (nh3, once, on write). They are parsed into
// an inert <template> and moved into the page; the page's CSP forbids inline script and
// event handlers as a second line of defence.
"use strict";

(function () {
  const root = document.getElementById("polling-app");
  if (!root) {
    return;
  }
  const BASE_MS = Math.max(200, Number(root.dataset.pollIntervalMs) || 30000);
  const JITTER = 0.2;
  const MAX_BACKOFF_MS = 10 * 60 * 1000;
  const unreadUrl = root.dataset.unreadUrl;
  const readUrlTemplate = root.dataset.readUrlTemplate; // ".../0/read"
  const sessionUrl = root.dataset.sessionUrl;
  const list = document.getElementById("notifications");
  const statusLine = document.getElementById("status");
  const who = document.getElementById("who");
  const loginForm = document.getElementById("demo-login");

  let signedIn = root.dataset.userId !== "";
  let etag = null;
  let timer = null;
  let inFlight = false;
  let failures = 0;
  let notBefore = 0; // epoch ms before which the server asked us not to come back

  const jittered = (ms) => ms * (1 - JITTER + Math.random() * 2 * JITTER);

  // Exponential backoff from the poll interval, capped, with "equal jitter" (half fixed, half
  // random) so retries spread out but never come back almost at once.
  function backoff(n) {
    const ceiling = Math.min(MAX_BACKOFF_MS, BASE_MS * 2 ** Math.min(n, 20));
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  // Retry-After is delta-seconds or an HTTP date; 0 when absent or unreadable.
  function retryAfterMs(response) {
    const value = response.headers.get("Retry-After");
    if (!value) {
      return 0;
    }
    const seconds = Number(value);
    if (Number.isFinite(seconds)) {
      return Math.max(0, seconds * 1000);
    }
    const date = Date.parse(value);
    return Number.isNaN(date) ? 0 : Math.max(0, date - Date.now());
  }

  function setStatus(text) {
    statusLine.textContent = text;
  }

  function schedule(delayMs) {
    clearTimeout(timer);
    timer = null;
    if (document.hidden || !signedIn) {
      return; // paused; visibilitychange or sign-in starts it again
    }
    const wait = Math.max(delayMs, notBefore - Date.now());
    timer = setTimeout(poll, wait);
  }

  function render(notifications) {
    const items = notifications.map((n) => {
      const li = document.createElement("li");
      li.dataset.id = String(n.id);
      const body = document.createElement("div");
      body.className = "body";
      const tpl = document.createElement("template");
      tpl.innerHTML = n.body; // sanitised on the server; a template's content is inert
      body.append(tpl.content);
      const time = document.createElement("time");
      time.dateTime = n.created_at;
      time.textContent = new Date(n.created_at).toLocaleString();
      const button = document.createElement("button");
      button.type = "button";
      button.className = "mark-read";
      button.textContent = "Mark read";
      li.append(body, time, button);
      return li;
    });
    list.replaceChildren(...items);
    if (items.length === 0) {
      setStatus("No unread notifications.");
    } else {
      setStatus(`${items.length} unread notification${items.length === 1 ? "" : "s"}.`);
    }
  }

  async function poll() {
    timer = null;
    if (document.hidden || !signedIn || inFlight) {
      return;
    }
    inFlight = true;
    let next = jittered(BASE_MS);
    try {
      const headers = { Accept: "application/json" };
      if (etag) {
        headers["If-None-Match"] = etag;
      }
      // no-store: let the 304 reach this code instead of the HTTP cache answering for it.
      const response = await fetch(unreadUrl, {
        headers,
        credentials: "same-origin",
        cache: "no-store",
      });
      if (response.status === 200) {
        const data = await response.json();
        etag = response.headers.get("ETag");
        failures = 0;
        render(data.notifications);
      } else if (response.status === 304) {
        failures = 0;
      } else if (response.status === 401) {
        signedIn = false;
        etag = null;
        list.replaceChildren();
        who.textContent = "Not signed in.";
        setStatus("Signed out: sign in to see notifications.");
        return;
      } else {
        failures += 1;
        const retryAfter = retryAfterMs(response);
        if (retryAfter > 0) {
          notBefore = Date.now() + retryAfter;
        }
        next = Math.max(retryAfter, backoff(failures));
        setStatus(`Server said ${response.status}; retrying in ${Math.round(next / 1000)} s.`);
      }
    } catch (err) {
      failures += 1;
      next = backoff(failures);
      setStatus(`Connection problem; retrying in ${Math.round(next / 1000)} s.`);
    } finally {
      inFlight = false;
    }
    schedule(next);
  }

  async function markRead(li) {
    const url = readUrlTemplate.replace(/\/0\/read$/, `/${encodeURIComponent(li.dataset.id)}/read`);
    li.querySelector("button").disabled = true;
    try {
      const response = await fetch(url, { method: "POST", credentials: "same-origin" });
      // 404: already gone (read elsewhere); either way it no longer belongs on the list.
      if (response.status === 204 || response.status === 404) {
        li.remove();
        setStatus(list.children.length ? "" : "No unread notifications.");
        return;
      }
      setStatus(`Could not mark read (${response.status}).`);
    } catch (err) {
      setStatus("Connection problem; could not mark read.");
    }
    li.querySelector("button").disabled = false;
  }

  list.addEventListener("click", (event) => {
    const button = event.target.closest("button.mark-read");
    if (button) {
      markRead(button.closest("li"));
    }
  });

  if (loginForm) {
    loginForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const userId = Number(new FormData(loginForm).get("user_id"));
      try {
        const response = await fetch(sessionUrl, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ user_id: userId }),
        });
        if (response.status !== 204) {
          setStatus(`Sign-in failed (${response.status}).`);
          return;
        }
      } catch (err) {
        setStatus("Connection problem; could not sign in.");
        return;
      }
      signedIn = true;
      etag = null;
      failures = 0;
      who.textContent = `Signed in as user ${userId}.`;
      schedule(0);
    });
  }

  document.addEventListener("visibilitychange", () => {
    if (document.hidden) {
      clearTimeout(timer);
      timer = null;
    } else {
      // Catch up soon, with a little jitter so many tabs shown at once do not align.
      schedule(Math.random() * Math.min(1000, BASE_MS));
    }
  });

  if (signedIn) {
    schedule(0);
  } else {
    setStatus("Not signed in.");
  }
})();
