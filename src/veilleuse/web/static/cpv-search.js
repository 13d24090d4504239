// CPV search for the actor form: suggestions while typing, a chosen code is added to the list.
// Without JavaScript the "Chercher" button does the same on the server.
(function () {
  "use strict";
  var input = document.querySelector("input[data-cpv-search]");
  if (!input) { return; }
  var target = document.getElementById(input.getAttribute("data-cpv-target"));
  var list = document.getElementById(input.getAttribute("list"));
  var url = input.getAttribute("data-cpv-search");
  var timer = null;
  var last = "";

  function fill(items) {
    list.textContent = "";
    items.forEach(function (item) {
      var option = document.createElement("option");
      option.value = item.code;
      option.textContent = item.code + " " + item.label;
      list.appendChild(option);
    });
  }

  function search() {
    var term = input.value.trim();
    if (term.length < 2 || term === last) { return; }
    last = term;
    fetch(url + "?q=" + encodeURIComponent(term), { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : []; })
      .then(fill)
      .catch(function () { fill([]); });
  }

  function add(code) {
    var codes = target.value.split(/[\s;,]+/).filter(Boolean);
    if (codes.indexOf(code) === -1) { codes.push(code); }
    target.value = codes.join(" ");
    input.value = "";
    last = "";
  }

  input.addEventListener("input", function () {
    var value = input.value.trim();
    if (/^\d{8}$/.test(value) && Array.prototype.some.call(list.options, function (o) { return o.value === value; })) {
      add(value);
      return;
    }
    clearTimeout(timer);
    timer = setTimeout(search, 250);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {  // Enter adds a typed code instead of submitting the form
      var value = input.value.trim();
      if (/^\d{8}$/.test(value)) { event.preventDefault(); add(value); }
    }
  });
}());
