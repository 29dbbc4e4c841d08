/*
 * Keeps what a person types in a long form (the annual return, a year's progress, a meeting, an
 * organisation) in this browser tab until it is saved, so that a session that expired while typing
 * loses nothing: the save is sent to the login page, and after logging in again the form offers to
 * put the typed answers back. A form opts in with data-keep-typed, data-keep-typed-version and
 * data-keep-typed-notice, and the page includes templates/snippets/keep_typed_notice.html.
 *
 * The copy lives in sessionStorage: this tab only, gone when the tab closes, and removed at logout
 * (a shared municipal PC keeps nothing for the next person). It is keyed by the form and the version
 * of the record the page showed; once the record is saved (a new version), older copies are dropped.
 * A form whose record has no version (a new meeting) is told apart by what follows its submission:
 * the copy is marked as sent, and dropped on the next page that neither shows the form again (an
 * error, or the return after logging in) nor asks for a password (the login page itself).
 * Without JavaScript the form works as before, only without this safety net.
 */
(function () {
  "use strict";

  var PREFIX = "keep-typed:";
  var SENT = PREFIX + "sent:"; // + a copy's key: that form was submitted
  var SKIPPED = { csrfmiddlewaretoken: true, expected_version: true, action: true };

  function storage() {
    try {
      return window.sessionStorage;
    } catch (error) {
      return null; // storage disabled: nothing to keep
    }
  }

  function keysStartingWith(store, prefix) {
    var keys = [];
    for (var i = 0; i < store.length; i++) {
      var key = store.key(i);
      if (key && key.indexOf(prefix) === 0) keys.push(key);
    }
    return keys;
  }

  function kept(element) {
    return element.name && !SKIPPED[element.name] && !element.disabled &&
      ["submit", "button", "reset", "file", "hidden"].indexOf(element.type) === -1;
  }

  // {name: [values…]}: what a submission of the form would send, checkboxes and radios included.
  function snapshot(form) {
    var values = {};
    Array.prototype.forEach.call(form.elements, function (element) {
      if (!kept(element)) return;
      var list = values[element.name] || (values[element.name] = []);
      if (element.type === "checkbox" || element.type === "radio") {
        if (element.checked) list.push(element.value);
      } else if (element.type === "select-multiple") {
        Array.prototype.forEach.call(element.options, function (option) {
          if (option.selected) list.push(option.value);
        });
      } else {
        list.push(element.value);
      }
    });
    return values;
  }

  function restore(form, values) {
    // Fields a script adds on the page (the meeting form's extra rows, its chosen organisations:
    // formset-add-row.js, organization-search.js) are added back first, so that they too are filled.
    form.dispatchEvent(new CustomEvent("keep-typed:restore", { detail: { values: values } }));
    var seen = {};
    Array.prototype.forEach.call(form.elements, function (element) {
      if (!kept(element) || !(element.name in values)) return;
      var list = values[element.name];
      if (element.type === "checkbox" || element.type === "radio") {
        element.checked = list.indexOf(element.value) !== -1;
      } else if (element.type === "select-multiple") {
        Array.prototype.forEach.call(element.options, function (option) {
          option.selected = list.indexOf(option.value) !== -1;
        });
      } else {
        var index = seen[element.name] || 0;
        element.value = index < list.length ? list[index] : "";
        seen[element.name] = index + 1;
      }
      element.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }

  function keyOf(form) {
    return PREFIX + form.getAttribute("data-keep-typed") + ":" + form.getAttribute("data-keep-typed-version");
  }

  // Copies of forms submitted on an earlier page that this page does not show again: the
  // submission went through (saved), unless this is the login page the expired session led to.
  function dropSentCopies(store, forms) {
    var shown = {};
    forms.forEach(function (form) { shown[keyOf(form)] = true; });
    var asksForPassword = document.querySelector("input[type=password]") !== null;
    keysStartingWith(store, SENT).forEach(function (flag) {
      var key = flag.slice(SENT.length);
      if (shown[key]) {
        store.removeItem(flag); // back at the form: keep the copy, offer it
      } else if (!asksForPassword) {
        store.removeItem(flag);
        store.removeItem(key);
      }
    });
  }

  function keepTyped(form, store) {
    var prefix = PREFIX + form.getAttribute("data-keep-typed") + ":";
    var key = keyOf(form);
    var notice = document.getElementById(form.getAttribute("data-keep-typed-notice"));

    // Copies made for an earlier version: that version has been saved since.
    keysStartingWith(store, prefix).forEach(function (other) {
      if (other !== key) store.removeItem(other);
    });

    var stored = store.getItem(key);
    var shown = JSON.stringify(snapshot(form));
    if (stored && stored !== shown && notice) {
      notice.hidden = false;
      notice.querySelector("[data-keep-typed-restore]").addEventListener("click", function () {
        restore(form, JSON.parse(stored));
        notice.hidden = true;
        // Said once, where the notice was (a status region only now, so that the page has one).
        var status = document.createElement("p");
        status.className = "note";
        status.setAttribute("role", "status");
        notice.parentNode.insertBefore(status, notice);
        status.textContent = notice.getAttribute("data-keep-typed-restored") ||
          "入力していた内容を戻しました。まだ保存されていません。確かめて保存してください。";
        form.querySelector("input, select, textarea").focus();
      });
      notice.querySelector("[data-keep-typed-discard]").addEventListener("click", function () {
        store.removeItem(key);
        notice.hidden = true;
      });
    } else if (stored === shown) {
      // The page already shows it (a form sent back with errors keeps what was typed).
      store.removeItem(key);
    }

    function save() {
      try {
        store.setItem(key, JSON.stringify(snapshot(form)));
      } catch (error) {
        /* storage full: the form still works */
      }
    }
    form.addEventListener("input", save);
    form.addEventListener("change", save);
    form.addEventListener("submit", function () {
      save();
      try {
        store.setItem(SENT + key, "1");
      } catch (error) {
        /* storage full: the copy stays until the form is shown again */
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var store = storage();
    if (!store) return;
    var forms = Array.prototype.slice.call(document.querySelectorAll("form[data-keep-typed]"));
    dropSentCopies(store, forms);
    forms.forEach(function (form) {
      keepTyped(form, store);
    });
    // Logging out leaves nothing typed behind in this tab.
    Array.prototype.forEach.call(document.querySelectorAll("form[data-logout]"), function (form) {
      form.addEventListener("submit", function () {
        keysStartingWith(store, PREFIX).forEach(function (key) { store.removeItem(key); });
      });
    });
  });
})();
