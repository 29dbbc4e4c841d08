/*
 * 「行を追加」 for the rows of a formset (templates/meetings/snippets/growing_formset.html): the
 * button becomes a plain button (type="button") that copies the formset's empty row from its
 * <template>, numbers it (Django's __prefix__ and the row's legend), counts it in TOTAL_FORMS, moves
 * the focus to its first field and says what was added in the list's live region.
 * Without JavaScript the same button is a submit that shows the form again with one more row,
 * saving nothing (meetings.forms.MeetingEditor). No inline script: the CSP allows 'self' only.
 */
(function () {
  "use strict";

  function firstField(row) {
    return row.querySelector("input:not([type=hidden]), select, textarea");
  }

  function setUp(container) {
    var prefix = container.getAttribute("data-formset-prefix");
    var label = container.getAttribute("data-row-label") || "";
    var total = container.querySelector('input[name="' + prefix + '-TOTAL_FORMS"]');
    var most = container.querySelector('input[name="' + prefix + '-MAX_NUM_FORMS"]');
    var template = container.querySelector("template[data-formset-empty-row]");
    var rows = container.querySelector("[data-formset-rows]");
    var button = container.querySelector("[data-formset-add]");
    var status = container.querySelector("[data-formset-status]");
    if (!total || !template || !rows || !button) return;

    button.type = "button";
    button.removeAttribute("name");
    button.textContent = button.getAttribute("data-script-label") || button.textContent;

    // Adds a row; `quietly`: no focus move and nothing said (rows put back by keep-typed.js).
    function addRow(quietly) {
      var index = parseInt(total.value, 10) || 0;
      var limit = most ? parseInt(most.value, 10) : NaN;
      if (!isNaN(limit) && index >= limit) {
        if (status && !quietly) status.textContent = label + "は" + limit + "行までです。これ以上は追加できません。";
        return false;
      }
      // The template is our own markup (Django's empty_form), never anything typed by a user.
      var html = template.innerHTML
        .replace(/__prefix__/g, String(index))
        .replace(/__number__/g, String(index + 1));
      var holder = document.createElement("div");
      holder.innerHTML = html;
      var row = holder.querySelector("fieldset") || holder.firstElementChild;
      if (!row) return false;
      rows.appendChild(row);
      total.value = String(index + 1);
      if (!quietly) {
        var field = firstField(row);
        if (field) field.focus();
        if (status) status.textContent = label + " " + (index + 1) + " の行を追加しました。";
      }
      return true;
    }

    button.addEventListener("click", function () {
      addRow(false);
    });

    // Typed text put back after an expired session (keep-typed.js): as many rows as it had.
    var form = container.closest("form");
    if (form) {
      form.addEventListener("keep-typed:restore", function (event) {
        var pattern = new RegExp("^" + prefix + "-(\\d+)-");
        var needed = 0;
        Object.keys((event.detail && event.detail.values) || {}).forEach(function (name) {
          var match = pattern.exec(name);
          if (match) needed = Math.max(needed, parseInt(match[1], 10) + 1);
        });
        while ((parseInt(total.value, 10) || 0) < needed && addRow(true)) {
          /* one more row */
        }
      });
    }
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-formset-prefix]"), setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
