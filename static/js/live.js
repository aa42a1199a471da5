// The live event screen (templates/results/live.html). Without JavaScript the page shows
// everything and a <noscript> meta refresh reloads it. With it, this script:
//  - polls live.json and updates the ballot count in place, reloading the page when the
//    round's status changes (voting closes, results are published);
//  - once results are published, reveals the funded projects one at a time: Space, Enter,
//    → or Page Down (a presenter's clicker) shows the next; A or End shows all.
// It is loaded in <head>, without defer, so that the "js" class hides the projects before
// the first paint: nothing is given away before the presenter reveals it.
(function () {
  "use strict";
  document.documentElement.className += " js";

  function poll(body) {
    var url = body.getAttribute("data-json");
    var seconds = parseInt(body.getAttribute("data-poll") || "5", 10);
    var status = body.getAttribute("data-status");
    var count = document.getElementById("live-ballots");
    var list = document.getElementById("live-channels");
    function update(data) {
      if (data.status !== status) { window.location.reload(); return; }
      if (count) { count.textContent = String(data.ballots); }
      if (list) {
        while (list.firstChild) { list.removeChild(list.firstChild); }
        data.by_channel.forEach(function (c) {
          var li = document.createElement("li");
          var label = document.createElement("span");
          var number = document.createElement("strong");
          li.setAttribute("data-channel", c.key);
          label.className = "live-channel-label";
          label.textContent = c.label;
          number.className = "live-channel-count";
          number.textContent = String(c.count);
          li.appendChild(label);
          li.appendChild(document.createTextNode(" "));
          li.appendChild(number);
          list.appendChild(li);
        });
      }
    }
    function tick() {
      if (!window.fetch) { window.setTimeout(function () { window.location.reload(); }, seconds * 2000); return; }
      window.fetch(url, { cache: "no-store", credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) { if (data) { update(data); } })
        .catch(function () { /* the network dropped: try again next time */ })
        .then(function () { window.setTimeout(tick, seconds * 1000); });
    }
    window.setTimeout(tick, seconds * 1000);
  }

  function reveal(body) {
    var items = Array.prototype.slice.call(document.querySelectorAll(".reveal-item"));
    var controls = document.getElementById("live-controls");
    var shown = 0;
    function next() {
      if (shown < items.length) { items[shown].className += " is-shown"; shown += 1; }
      if (shown >= items.length && controls) { controls.hidden = true; }
    }
    function all() { while (shown < items.length) { next(); } }
    if (controls) {
      controls.hidden = false;
      controls.addEventListener("click", function (event) {
        var action = event.target.getAttribute && event.target.getAttribute("data-action");
        if (action === "next") { next(); } else if (action === "all") { all(); }
      });
    }
    document.addEventListener("keydown", function (event) {
      if (event.target && event.target.tagName === "BUTTON" &&
          (event.key === " " || event.key === "Enter")) { return; }
      if ([" ", "Enter", "ArrowRight", "PageDown", "ArrowDown"].indexOf(event.key) >= 0) {
        event.preventDefault();
        next();
      } else if (event.key === "a" || event.key === "A" || event.key === "End") {
        event.preventDefault();
        all();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var body = document.body;
    var status = body.getAttribute("data-status");
    if (status === "published") {
      if (body.getAttribute("data-reveal") === "step") { reveal(body); }
    } else {
      poll(body);
    }
  });
})();
