// Enhancement only: the server works out and checks every ballot, and renders the first total.
// Keeps the knapsack running total and the points left up to date as the resident changes them.
(function () {
  "use strict";

  function money(minor, digits, symbol) {
    var scale = Math.pow(10, digits);
    var sign = minor < 0 ? "-" : "";
    minor = Math.abs(minor);
    var text = sign + symbol + Math.floor(minor / scale).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var frac = minor % scale;
    return frac ? text + "." + String(frac).padStart(digits, "0") : text;
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, key) { return key in values ? values[key] : all; });
  }

  function knapsack(fields, out) {
    var boxes = fields.querySelectorAll("input[type=checkbox][data-cost]");
    var limit = parseInt(out.getAttribute("data-limit"), 10);
    var digits = parseInt(out.getAttribute("data-digits"), 10);
    var symbol = out.getAttribute("data-symbol");
    function update() {
      var sum = 0;
      boxes.forEach(function (box) { if (box.checked) { sum += parseInt(box.getAttribute("data-cost"), 10); } });
      var over = sum > limit;
      out.textContent = fill(out.getAttribute(over ? "data-over" : "data-template"),
        {total: money(sum, digits, symbol), limit: money(limit, digits, symbol)});
      out.classList.toggle("running-total-over", over);
    }
    boxes.forEach(function (box) { box.addEventListener("change", update); });
  }

  function points(fields, out) {
    var inputs = fields.querySelectorAll("input[data-points]");
    var allowance = parseInt(out.getAttribute("data-allowance"), 10);
    function update() {
      var given = 0;
      inputs.forEach(function (input) {
        var value = input.value.trim();
        if (/^\d+$/.test(value)) { given += parseInt(value, 10); }
      });
      var left = allowance - given;
      out.textContent = fill(out.getAttribute(left < 0 ? "data-over" : "data-template"),
        {left: left, allowance: allowance, over: -left});
      out.classList.toggle("running-total-over", left < 0);
    }
    inputs.forEach(function (input) { input.addEventListener("input", update); });
  }

  // The total stays at the bottom of the screen: the browser keeps a focused project clear of
  // it (the stylesheet guesses its height; this measures it).
  function keepClear(out) {
    function measure() {
      document.documentElement.style.scrollPaddingBottom = (out.offsetHeight + 10) + "px";
    }
    measure();
    window.addEventListener("resize", measure);
    return measure;
  }

  document.querySelectorAll(".ballot-fields").forEach(function (fields) {
    var out = fields.querySelector(".running-total");
    if (!out) { return; }
    var measure = keepClear(out);
    fields.addEventListener("change", measure);
    fields.addEventListener("input", measure);
    var type = fields.getAttribute("data-ballot-type");
    if (type === "knapsack") { knapsack(fields, out); }
    if (type === "points") { points(fields, out); }
  });
})();
