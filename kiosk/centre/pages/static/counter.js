// The counter page: each button (or its key) posts one action to the centre's API with a
// request id made here. When the network or the centre fails, the same request is sent
// again, with the same id, until the centre answers: the centre applies an id once, so
// a click is never lost and never doubled. While a click is in flight every button is
// disabled.
"use strict";
(function () {
  const body = document.body;
  const counter = body.dataset.counter;
  const services = JSON.parse(body.dataset.services); // [{letter, vi, en}], all services
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const buttons = Array.from(document.querySelectorAll("#actions button, #transfer button"));
  const status = document.getElementById("status");
  const dialog = document.getElementById("transfer");
  const REQUEST_TIMEOUT_MS = 10000;
  let inFlight = false;
  let paused = false;
  let current = null;

  // The centre's refusals are English sentences (kiosk/store/calls.py); staff read
  // Vietnamese first.
  const VI = [
    [/no one waiting/i, "Không còn ai chờ"],
    [/still has/i, "Quầy còn số chưa xong: bấm Xong, Vắng mặt hoặc Chuyển trước"],
    [/has no number called/i, "Quầy chưa gọi số nào"],
    [/has called no number/i, "Chưa gọi số nào: vắng mặt chỉ sau khi gọi"],
    [/already being served/i, "Số này đang được phục vụ: bấm Xong hoặc Chuyển"],
    [/is paused/i, "Quầy đang tạm dừng: bấm Tiếp tục để gọi"],
    [/not a service/i, "Không có dịch vụ này"],
    [/already used/i, "Yêu cầu này đã được dùng"],
    [/no counter|not a counter|unknown counter/i, "Không có quầy này"],
  ];

  function say(kind, vi, en) {
    status.className = "status " + kind;
    status.textContent = "";
    if (!vi && !en) return;
    status.append(vi || en);
    if (en && vi) {
      const span = document.createElement("span");
      span.className = "en";
      span.textContent = en;
      status.append(" ", span);
    }
  }

  function refusal(message) {
    for (const [pattern, vi] of VI) if (pattern.test(message)) return vi;
    return "";
  }

  function setBusy(busy) {
    inFlight = busy;
    for (const b of buttons) b.disabled = busy;
    body.classList.toggle("busy", busy);
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  async function post(url, payload) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    try {
      return await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify(payload),
        credentials: "same-origin",
        cache: "no-store",
        signal: controller.signal,
      });
    } catch (error) {
      return null; // network down, server gone, or timed out: try again
    } finally {
      clearTimeout(timer);
    }
  }

  async function act(action, extra) {
    if (inFlight) return;
    setBusy(true);
    say("", "", "");
    const payload = Object.assign({ request_id: window.newRequestId() }, extra || {});
    const url = "/api/counters/" + counter + "/" + action;
    let delay = 500;
    try {
      for (;;) {
        const response = await post(url, payload);
        if (response && response.status < 500) {
          await answered(response);
          return;
        }
        say("retrying", "Đang thử lại…", "Retrying…");
        await sleep(delay + Math.random() * delay / 2);
        delay = Math.min(delay * 2, 5000);
      }
    } finally {
      setBusy(false);
    }
  }

  async function answered(response) {
    let data = {};
    try {
      data = await response.json();
    } catch (error) {
      data = {};
    }
    if (response.ok) {
      const done = {
        call: ["Đã gọi", "Called"], recall: ["Đã gọi lại", "Recalled"],
        start: ["Đang phục vụ", "Serving"], served: ["Xong", "Served"],
        "no-show": ["Vắng mặt", "No-show"], transfer: ["Đã chuyển", "Transferred"],
        pause: ["Đã tạm dừng quầy", "Counter paused"],
        resume: ["Quầy tiếp tục", "Counter resumed"],
      }[data.action] || ["", data.action];
      const number = data.number ? " " + data.number : "";
      say("done", done[0] + number, done[1] + number);
      if (data.action === "pause" || data.action === "resume") showPaused(data.action === "pause");
      return;
    }
    const message = data.error || "HTTP " + response.status;
    if (response.status === 401 || response.status === 403) {
      signInAgain(message);
      return;
    }
    say("refused", refusal(message), message);
  }

  function signInAgain(message) {
    say("refused", "Phiên đã hết hạn hoặc không hợp lệ: đăng nhập lại",
        message + " — sign in again");
    const link = document.createElement("a");
    link.href = "/staff/sign-in?expired=1&next=/counter/" + counter;
    link.textContent = " → Đăng nhập / Sign in";
    status.append(link);
  }

  function showPaused(isPaused) {
    paused = isPaused;
    document.getElementById("paused").hidden = !isPaused;
    const label = document.getElementById("pause-label");
    label.textContent = isPaused ? "Tiếp tục " : "Tạm dừng ";
    const en = document.createElement("span");
    en.className = "en";
    en.textContent = isPaused ? "Resume" : "Pause";
    label.append(en);
  }

  function render(state) {
    current = state.current;
    const label = document.getElementById("current-label");
    const number = document.getElementById("current-number");
    const detail = document.getElementById("current-detail");
    if (current) {
      const serving = current.queue_state === "serving";
      label.innerHTML = "";
      label.append(serving ? "Đang phục vụ " : "Đã gọi ");
      const en = document.createElement("span");
      en.className = "en";
      en.textContent = serving ? "Serving" : "Called";
      label.append(en);
      number.textContent = current.number;
      const service = services.find((s) => s.letter === current.service);
      detail.textContent = (service ? service.vi : current.service) +
        " · gọi " + current.calls + " lần / called " + current.calls + "×";
    } else {
      label.innerHTML = 'Chưa gọi ai <span class="en">No one called</span>';
      number.textContent = "—";
      detail.textContent = "";
    }
    for (const item of document.querySelectorAll("#waiting li")) {
      item.querySelector(".count").textContent = state.waiting[item.dataset.service] || 0;
    }
    showPaused(state.paused);
  }

  function press(action) {
    if (inFlight) return;
    if (action === "pause") action = paused ? "resume" : "pause";
    if (action === "transfer") {
      dialog.showModal();
      return;
    }
    act(action);
  }

  for (const b of document.querySelectorAll("#actions button")) {
    b.addEventListener("click", () => press(b.dataset.action));
  }
  for (const b of document.querySelectorAll("#transfer .choices button")) {
    b.addEventListener("click", () => {
      dialog.close();
      act("transfer", { to_service: b.dataset.service });
    });
  }
  document.getElementById("transfer-cancel").addEventListener("click", () => dialog.close());

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.altKey || event.metaKey || event.repeat) return;
    const key = event.key.toLowerCase();
    if (dialog.open) {
      const choice = document.querySelector('#transfer .choices button[data-key="' + key + '"]');
      if (choice) {
        event.preventDefault();
        choice.click();
      }
      return; // Esc closes the dialog by itself
    }
    const button = document.querySelector('#actions button[data-key="' + key + '"]');
    if (button) {
      event.preventDefault();
      press(button.dataset.action);
    }
  });

  const stale = document.getElementById("stale");
  window.liveStream("/counter/" + counter + "/events", render, (since) => {
    stale.hidden = since === null;
    if (since !== null) stale.textContent = window.staleText(since);
  }, Number(body.dataset.staleAfter) * 1000, null, () => signInAgain("the session has ended"));
})();
