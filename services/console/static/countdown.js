// Progressive enhancement: deadlines keep counting down while a page stays on the projector. The server
// renders the same text (services/console/domain/reading.py, time_left); without script it stays as sent.
(function () {
  "use strict";
  function text(ms) {
    var minutes = Math.floor(Math.abs(ms) / 60000);
    var d = Math.floor(minutes / 1440), h = Math.floor((minutes % 1440) / 60), m = minutes % 60;
    var t = d ? d + " d " + h + " h" : h ? h + " h " + m + " min" : m + " min";
    return ms < 0 ? "overdue by " + t : t + " left";
  }
  function tick() {
    document.querySelectorAll("time[data-countdown]").forEach(function (el) {
      var ms = Date.parse(el.getAttribute("datetime")) - Date.now();
      if (!isNaN(ms)) {
        el.textContent = text(ms);
        el.classList.toggle("overdue", ms < 0);
        el.dataset.ticked = "yes";
      }
    });
  }
  tick();
  setInterval(tick, 30000);
})();
