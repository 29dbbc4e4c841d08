// Warns a signed-in user a few minutes before an idle session ends, and lets them extend it.
//
// The server ends a session after SESSION_IDLE_TIMEOUT_MINUTES without a request (every request
// moves the end forward). base.html puts the length in seconds on <body data-session-timeout> and
// the keepalive URL on data-session-keepalive-url; this script counts from the last request it
// knows of — this page's load, another tab's (shared through localStorage), or its own keepalive —
// and shows a notice (role="alert") with a 「ログインを延長する」 button before the end. What is
// being typed is kept across an expired session by keep-typed.js; this script only gives the
// chance not to lose the session at all.
(function () {
  "use strict";

  var body = document.body;
  var timeoutSeconds = parseInt(body.getAttribute("data-session-timeout") || "", 10);
  var keepaliveUrl = body.getAttribute("data-session-keepalive-url");
  if (!timeoutSeconds || timeoutSeconds <= 0 || !keepaliveUrl) {
    return;
  }

  var STORAGE_KEY = "session-timeout:last-request";
  // Five minutes' warning, or half the session for very short ones (tests, a strict setting).
  var warnBeforeMs = Math.min(5 * 60 * 1000, (timeoutSeconds * 1000) / 2);
  var lastRequest = Date.now();
  var timer = null;

  function remember(time) {
    lastRequest = Math.max(lastRequest, time);
    try {
      window.localStorage.setItem(STORAGE_KEY, String(lastRequest));
    } catch (error) {
      // Storage may be off; this tab still counts on its own.
    }
  }

  function sharedLastRequest() {
    try {
      return parseInt(window.localStorage.getItem(STORAGE_KEY) || "0", 10) || 0;
    } catch (error) {
      return 0;
    }
  }

  // The notice: one region, present from the start and empty, so that filling it is announced.
  var notice = document.createElement("div");
  notice.className = "session-timeout";
  notice.setAttribute("role", "alert");
  notice.hidden = true;
  var message = document.createElement("p");
  message.className = "session-timeout-message";
  var extend = document.createElement("button");
  extend.type = "button";
  extend.className = "session-timeout-extend";
  extend.textContent = "ログインを延長する";
  notice.appendChild(message);
  notice.appendChild(extend);
  // First in the page (after the skip link), so that it is near at hand by keyboard as well.
  var skipLink = body.querySelector(".skip-link");
  body.insertBefore(notice, skipLink ? skipLink.nextSibling : body.firstChild);

  function minutesLeft() {
    return Math.max(1, Math.ceil((lastRequest + timeoutSeconds * 1000 - Date.now()) / 60000));
  }

  // Shown first, then filled: a live region announces a change of its text. The warning is
  // announced once, not again each minute.
  function showWarning() {
    if (!notice.hidden && !extend.hidden) {
      return;
    }
    notice.hidden = false;
    extend.hidden = false;
    message.textContent =
      "しばらく操作がないため、あと約" + minutesLeft() + "分でログインが切れます。" +
      "続けて利用する場合は「ログインを延長する」を押してください。";
  }

  function showExpired() {
    notice.hidden = false;
    extend.hidden = true;
    message.textContent =
      "ログインの有効期限が切れました。ページを再読み込みして、もう一度ログインしてください。" +
      "入力中の内容は、このブラウザに一時的に保存されています。";
  }

  function hide() {
    notice.hidden = true;
    message.textContent = "";
  }

  function schedule() {
    window.clearTimeout(timer);
    lastRequest = Math.max(lastRequest, sharedLastRequest());
    var now = Date.now();
    var end = lastRequest + timeoutSeconds * 1000;
    if (now >= end) {
      showExpired();
      return;
    }
    if (now >= end - warnBeforeMs) {
      showWarning();
      timer = window.setTimeout(schedule, end - now);
      return;
    }
    hide();
    timer = window.setTimeout(schedule, end - warnBeforeMs - now);
  }

  extend.addEventListener("click", function () {
    extend.disabled = true;
    var sent = Date.now();
    // redirect: "manual": an ended session answers with a redirect to the login page, not 204.
    window
      .fetch(keepaliveUrl, { credentials: "same-origin", cache: "no-store", redirect: "manual" })
      .then(function (response) {
        if (response.status === 204) {
          remember(sent);
          schedule();
        } else {
          showExpired();
        }
      })
      .catch(function () {
        message.textContent =
          "ログインを延長できませんでした。通信の状態を確かめて、もう一度押してください。";
      })
      .then(function () {
        extend.disabled = false;
      });
  });

  // Another tab's request moved the end forward for this one too.
  window.addEventListener("storage", function (event) {
    if (event.key === STORAGE_KEY) {
      schedule();
    }
  });

  remember(Date.now());
  schedule();
})();
