// Search page: leave empty fields out of the URL, so a shared or saved address only holds the
// criteria that are set (the page works the same without this script: empty values are ignored).
(function () {
  "use strict";
  var form = document.getElementById("recherche");
  if (!form) { return; }
  form.addEventListener("submit", function () {
    Array.prototype.forEach.call(form.elements, function (field) {
      if (field.name && !field.disabled && field.value === "") {
        field.disabled = true;
        field.setAttribute("data-emptied", "");
      }
    });
  });
  // back/forward cache: give the fields back when the page is shown again
  window.addEventListener("pageshow", function () {
    Array.prototype.forEach.call(form.querySelectorAll("[data-emptied]"), function (field) {
      field.disabled = false;
      field.removeAttribute("data-emptied");
    });
  });
})();
