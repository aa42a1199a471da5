// Enhancement only: the server checks every ballot. Keeps the running total live as boxes change.
(function () {
  "use strict";
  var total = document.getElementById("running-total");
  if (!total) { return; }
  var boxes = document.querySelectorAll("input[name=projects][data-cost]");
  var pot = parseInt(total.getAttribute("data-pot"), 10);
  var digits = parseInt(total.getAttribute("data-digits"), 10);
  var symbol = total.getAttribute("data-symbol");
  function money(minor) {
    var whole = Math.floor(minor / Math.pow(10, digits));
    var frac = minor % Math.pow(10, digits);
    var text = symbol + whole.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return frac ? text + "." + String(frac).padStart(digits, "0") : text;
  }
  function update() {
    var sum = 0;
    boxes.forEach(function (box) { if (box.checked) { sum += parseInt(box.getAttribute("data-cost"), 10); } });
    var template = total.getAttribute(sum > pot ? "data-over" : "data-template");
    total.textContent = template.replace("{total}", money(sum)).replace("{pot}", money(pot));
    total.classList.toggle("running-total-over", sum > pot);
  }
  boxes.forEach(function (box) { box.addEventListener("change", update); });
})();
