// The lobby display: the number now called and its counter, the last calls, the waiting
// count per service, kept current by server-sent events (live.js). A new call (a new
// number, or a recall: its call count grows) plays the chime, then the call spoken in each
// language the centre could assemble it in from recorded segments (now.voices; one WAV per
// language from /audio/call/<lang>/<number>/<counter>.wav, kiosk/centre/call_audio.py),
// else the number flashes. No speech is ever made up, nor pieced together here.
"use strict";
(function () {
  const body = document.body;
  const services = JSON.parse(body.dataset.services); // [{letter, vi, en}]
  const chime = document.getElementById("chime");
  const voice = document.getElementById("voice");
  const number = document.getElementById("now-number");
  let lastCall = undefined; // undefined until the first state: that one is not announced
  const announcements = [];
  let announcing = false;
  // What started playing, read by the browser tests: the chime's count, the calls' files.
  window.chimesPlayed = 0;
  window.callsPlayed = [];

  function callKey(now) {
    return now ? now.number + "|" + now.counter + "|" + now.calls : null;
  }

  function play(audio, src) {
    return new Promise((resolve) => {
      if (src) audio.src = src;
      audio.currentTime = 0;
      const done = () => {
        audio.removeEventListener("ended", done);
        audio.removeEventListener("error", done);
        resolve(true);
      };
      audio.addEventListener("ended", done);
      audio.addEventListener("error", done);
      audio.play().then(() => {
        if (audio === chime) window.chimesPlayed += 1;
        else window.callsPlayed.push(new URL(audio.src).pathname);
        document.getElementById("sound").hidden = true;
      }).catch((err) => {
        // Autoplay refused (no touch yet on this browser): ask for one, go on silently.
        // Any other failure (a call re-recorded away meanwhile: 404) just goes on.
        if (err && err.name === "NotAllowedError") {
          document.getElementById("sound").hidden = false;
        }
        done();
      });
    });
  }

  // "Mời số A mười hai đến quầy ba", whole, as the centre assembled it for this language.
  function callFile(lang, call) {
    return "/audio/call/" + encodeURIComponent(lang) + "/" + encodeURIComponent(call.number)
      + "/" + encodeURIComponent(call.counter) + ".wav";
  }

  function flash() {
    number.classList.remove("flash");
    void number.offsetWidth; // restart the animation
    number.classList.add("flash");
  }

  async function announce(call) {
    const langs = call.voices || [];
    if (!langs.length) flash(); // with the chime: nothing will say the number
    await play(chime);
    for (const lang of langs) await play(voice, callFile(lang, call));
  }

  async function drain() {
    if (announcing) return;
    announcing = true;
    while (announcements.length) await announce(announcements.shift());
    announcing = false;
  }


  function render(state) {
    const now = state.now;
    number.textContent = now ? now.number : "—";
    document.getElementById("now-counter").textContent = now ? now.counter : "";
    document.getElementById("now-counter-line").hidden = !now;
    const recent = document.getElementById("recent");
    recent.replaceChildren(...state.recent.map((call) => {
      const li = document.createElement("li");
      const n = document.createElement("b");
      n.textContent = call.number;
      const c = document.createElement("span");
      c.textContent = "→ " + call.counter;
      li.append(n, c);
      return li;
    }));
    const waiting = document.getElementById("waiting");
    waiting.replaceChildren(...services.map((s) => {
      const li = document.createElement("li");
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = s.vi;
      const en = document.createElement("span");
      en.className = "en";
      en.textContent = s.en;
      name.append(" ", en);
      const count = document.createElement("b");
      count.textContent = state.waiting[s.letter] || 0;
      li.dataset.service = s.letter;
      li.append(name, count);
      return li;
    }));
    const key = callKey(now);
    if (lastCall !== undefined && key !== null && key !== lastCall) {
      announcements.push(now);
      drain();
    }
    lastCall = key;
  }

  // A touch lets the browser play sound from then on (autoplay rules).
  document.addEventListener("pointerdown", () => {
    chime.load();
    document.getElementById("sound").hidden = true;
  });

  const stale = document.getElementById("stale");
  window.liveStream("/display/events", render, (since) => {
    stale.hidden = since === null;
    body.classList.toggle("is-stale", since !== null);
    if (since !== null) stale.textContent = window.staleText(since);
  }, Number(body.dataset.staleAfter) * 1000, (clock) => {
    document.getElementById("clock").textContent = clock;
  }, () => { window.location.reload(); }); // says why: not enrolled (any more)
})();
