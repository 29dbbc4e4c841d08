/*
 * The meeting form's organisation picker (templates/meetings/snippets/organization_picker.html) as
 * a combobox (WAI-ARIA's editable combobox with a list): typing asks the server for at most 20
 * matching organisations (meetings:organization_search, names masked as on the pages), shown as a
 * listbox; the arrow keys move through them (aria-activedescendant), Enter or a click chooses one,
 * Escape closes the list. A chosen organisation joins the list above as a ticked checkbox, which is
 * what the form sends; unticking it takes it out. A live region says how many were found and what
 * was chosen.
 * Without JavaScript the search button shows the form again with the matches as checkboxes.
 */
(function () {
  "use strict";

  var DELAY = 250; // ms after the last key before asking the server

  function setUp(picker) {
    var input = picker.querySelector("[data-search-input]");
    var listbox = picker.querySelector("[data-search-listbox]");
    var submit = picker.querySelector("[data-search-submit]");
    var status = picker.querySelector("[data-search-status]");
    var chosen = picker.querySelector("[data-chosen]");
    var empty = picker.querySelector("[data-chosen-empty]");
    var url = picker.getAttribute("data-search-url");
    var fieldName = picker.getAttribute("data-field-name");
    var fieldId = picker.getAttribute("data-field-id");
    if (!input || !listbox || !chosen || !url) return;

    var results = []; // [{id, label}] shown in the listbox
    var active = -1; // index of the highlighted option
    var timer = null;
    var asked = 0; // to ignore answers to questions no longer asked

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listbox.id);
    if (submit) {
      // Not a submit any more: Enter in another field must save the form, not search.
      submit.type = "button";
      submit.hidden = true;
    }

    function say(text) {
      if (status) status.textContent = text;
    }

    function chosenBox(id) {
      return chosen.querySelector('input[name="' + fieldName + '"][value="' + id + '"]');
    }

    function close() {
      listbox.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var options = listbox.querySelectorAll("[role=option]");
      if (!options.length) return;
      active = (index + options.length) % options.length;
      Array.prototype.forEach.call(options, function (option, i) {
        option.setAttribute("aria-selected", i === active ? "true" : "false");
      });
      input.setAttribute("aria-activedescendant", options[active].id);
      options[active].scrollIntoView({ block: "nearest" });
    }

    function show(found) {
      results = found.filter(function (item) {
        var box = chosenBox(item.id);
        return !(box && box.checked);
      });
      listbox.textContent = "";
      results.forEach(function (item, i) {
        var option = document.createElement("li");
        option.id = listbox.id + "-" + item.id;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.textContent = item.label; // text, never HTML
        // mousedown, not click: the input keeps the focus.
        option.addEventListener("mousedown", function (event) {
          event.preventDefault();
          choose(i);
        });
        listbox.appendChild(option);
      });
      active = -1;
      input.removeAttribute("aria-activedescendant");
      if (results.length) {
        listbox.hidden = false;
        input.setAttribute("aria-expanded", "true");
        say(results.length + " 件見つかりました。上下の矢印キーで選び、Enter キーで決定します。");
      } else {
        close();
        say("該当する団体は見つかりませんでした。");
      }
    }

    function search() {
      var query = input.value.trim();
      window.clearTimeout(timer);
      if (!query) {
        close();
        return;
      }
      var question = ++asked;
      fetch(url + "?q=" + encodeURIComponent(query), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          if (!response.ok || (response.headers.get("Content-Type") || "").indexOf("json") === -1) {
            throw new Error("search failed");
          }
          return response.json();
        })
        .then(function (data) {
          if (question === asked) show(data.results || []);
        })
        .catch(function () {
          if (question === asked) {
            close();
            say("団体を検索できませんでした。ページを再読み込みしてから、もう一度お試しください。");
          }
        });
    }

    function choose(index) {
      var item = results[index];
      if (!item) return;
      var box = chosenBox(item.id);
      if (box) {
        box.checked = true;
      } else {
        addChosen(item);
      }
      if (empty) empty.hidden = true;
      var count = chosen.querySelectorAll('input[name="' + fieldName + '"]:checked').length;
      input.value = "";
      close();
      say("「" + item.label + "」を出席に加えました（選んだ団体 " + count + " 件）。");
      input.focus();
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(search, DELAY);
    });

    input.addEventListener("keydown", function (event) {
      var open = !listbox.hidden;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!open && results.length) {
          listbox.hidden = false;
          input.setAttribute("aria-expanded", "true");
        }
        highlight(active + 1);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (open) highlight(active - 1);
      } else if (event.key === "Enter") {
        // Never submits the form from here: Enter chooses, or searches at once.
        event.preventDefault();
        if (open && active >= 0) {
          choose(active);
        } else {
          search();
        }
      } else if (event.key === "Escape") {
        if (open) {
          event.preventDefault();
          close();
        } else if (input.value) {
          event.preventDefault();
          input.value = "";
        }
      }
    });

    input.addEventListener("blur", function () {
      close();
    });

    function addChosen(item) {
      var li = document.createElement("li");
      var box = document.createElement("input");
      box.type = "checkbox";
      box.name = fieldName;
      box.value = String(item.id);
      box.id = fieldId + "_chosen_" + item.id;
      box.checked = true;
      var label = document.createElement("label");
      label.htmlFor = box.id;
      label.textContent = item.label;
      li.appendChild(box);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(label);
      chosen.appendChild(li);
      if (empty) empty.hidden = true;
      return box;
    }

    // Typed answers put back after an expired session (keep-typed.js): organisations chosen here
    // have no checkbox on the fresh page; their names are asked for, and they come back ticked.
    var form = picker.closest("form");
    if (form) {
      form.addEventListener("keep-typed:restore", function (event) {
        var values = (event.detail && event.detail.values) || {};
        var missing = (values[fieldName] || []).filter(function (id) {
          return /^\d+$/.test(id) && !form.querySelector('input[name="' + fieldName + '"][value="' + id + '"]');
        });
        if (!missing.length) return;
        fetch(url + "?ids=" + encodeURIComponent(missing.join(",")), {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        })
          .then(function (response) {
            if (!response.ok) throw new Error("lookup failed");
            return response.json();
          })
          .then(function (data) {
            (data.results || []).forEach(function (item) {
              if (!chosenBox(item.id)) addChosen(item);
            });
          })
          .catch(function () {
            say("選んでいた団体を戻せませんでした。もう一度検索して選んでください。");
          });
      });
    }
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-organization-picker]"), setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
