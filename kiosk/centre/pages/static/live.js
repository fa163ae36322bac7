// A live view fed by server-sent events (docs/architecture.md, Centre): "state" events
// carry what to show, "heartbeat" events come every few seconds. The stream reconnects by
// itself (EventSource does after a drop; a refused or half-open connection is reopened
// here), and `onStale(since)` is told when nothing was heard for `staleAfterMs`, with the
// centre's clock time (HH:MM) of the last thing heard; `onStale(null)` when it is back.
// `onClock(HH:MM)`, if given, hears the centre's clock from every message;
// `onRefused()`, if given, is told when the centre refuses the stream (401: the session
// ended, the display was revoked), which EventSource itself does not say.
"use strict";
window.liveStream = function (url, onState, onStale, staleAfterMs, onClock, onRefused) {
  let source = null;
  let lastHeard = Date.now();
  let lastClock = null;
  let stale = false;
  let retryDelay = 1000;

  function heard(event) {
    lastHeard = Date.now();
    const data = JSON.parse(event.data);
    if (data.clock) {
      lastClock = data.clock;
      if (onClock) onClock(data.clock);
    }
    if (stale) {
      stale = false;
      onStale(null);
    }
    return data;
  }

  function open() {
    source = new EventSource(url);
    source.addEventListener("open", () => { retryDelay = 1000; });
    source.addEventListener("state", (event) => onState(heard(event)));
    source.addEventListener("heartbeat", heard);
    source.addEventListener("error", () => {
      // CLOSED: the browser gave up (an HTTP error, a proxy's page): try again later.
      if (source.readyState !== EventSource.CLOSED) return;
      reopenLater();
      if (onRefused) askWhy();
    });
  }

  // The status of the stream's address, read from its headers and then dropped.
  function askWhy() {
    const controller = new AbortController();
    fetch(url, { signal: controller.signal, cache: "no-store" }).then((response) => {
      controller.abort();
      if (response.status === 401) onRefused();
    }).catch(() => {}); // unreachable: the stale notice already says so
  }

  function reopenLater() {
    source.close();
    setTimeout(open, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 10000);
  }

  setInterval(() => {
    if (Date.now() - lastHeard < staleAfterMs) return;
    if (!stale) {
      stale = true;
      onStale(lastClock || "--:--");
    }
    // A connection that looks open but brings nothing is reopened.
    if (source.readyState === EventSource.OPEN) {
      lastHeard = Date.now() - staleAfterMs / 2;
      reopenLater();
    }
  }, 1000);
  open();
};

// A random request id; crypto.getRandomValues works on plain HTTP too (randomUUID does not).
window.newRequestId = function () {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
};

window.staleText = function (since) {
  return "Chưa cập nhật từ " + since + " / Not updated since " + since;
};
