// Event kiosk: clear a ballot that nobody has touched for 90 seconds, and leave the thank-you
// screen after a while (a page's own data-idle-seconds wins over the body's). Without
// JavaScript a <noscript> refresh does the same, counted from when the page loaded.
(function () {
  "use strict";
  var holder = document.querySelector("main [data-idle-seconds]") || document.body;
  var seconds = parseInt(holder.getAttribute("data-idle-seconds") || "0", 10);
  var url = holder.getAttribute("data-idle-url");
  if (!seconds || !url) { return; }
  var timer = null;
  function restart() {
    if (timer) { window.clearTimeout(timer); }
    timer = window.setTimeout(function () { window.location.replace(url); }, seconds * 1000);
  }
  ["pointerdown", "keydown", "input", "scroll", "touchstart"].forEach(function (name) {
    document.addEventListener(name, restart, { passive: true });
  });
  restart();
})();
