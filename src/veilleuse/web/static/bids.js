// Bid page: show the reason fields only for « perdue » / « abandonnée » and the amount and
// shares only for « gagnée ». Without this script every field is shown, with its help text;
// the server checks what each change needs either way.
(function () {
  "use strict";
  var form = document.querySelector("form[data-bid-move]");
  if (!form) { return; }
  var groups = form.querySelectorAll("fieldset[data-for-stages]");
  function chosen() {
    var checked = form.querySelector("input[name='to_stage']:checked");
    return checked ? checked.value : "";
  }
  function update() {
    var stage = chosen();
    Array.prototype.forEach.call(groups, function (group) {
      var stages = group.getAttribute("data-for-stages").split(" ");
      group.hidden = stages.indexOf(stage) === -1;
    });
  }
  form.addEventListener("change", update);
  update();
})();
