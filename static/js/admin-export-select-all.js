// django-import-export's export page wires its 「すべて選択」 checkbox with onchange="…", an inline
// handler the Content-Security-Policy blocks; attach its own handler (export_selectable_fields.js)
// the allowed way. See templates/admin/import_export/export.html.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  if (typeof window.onSelectToggleChange !== "function") {
    return;
  }
  document.querySelectorAll("input.select-toggle").forEach(function (toggle) {
    toggle.addEventListener("change", window.onSelectToggleChange);
  });
});
