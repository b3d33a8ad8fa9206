// Progressive enhancement only: every link works without this script.
// "#t=SECONDS" links also seek the player; copy buttons copy a feed URL.
(function () {
  "use strict";
  var player = document.getElementById("player");

  function secondsOf(hash) {
    var match = /^#t=(\d+(?:\.\d+)?)$/.exec(hash || "");
    return match ? parseFloat(match[1]) : null;
  }

  function seek(time, play) {
    if (!player || time === null) return;
    player.currentTime = time;
    if (play) {
      var started = player.play();
      if (started && started.catch) started.catch(function () {});
    }
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[href^='#t=']") : null;
    if (link) seek(secondsOf(link.getAttribute("href")), true);  // the page still scrolls there
    // The home page's chapters: play here rather than open the episode's page.
    var chapter = event.target.closest ? event.target.closest("a[data-seek]") : null;
    if (chapter && player) {
      event.preventDefault();
      seek(secondsOf("#t=" + chapter.getAttribute("data-seek")), true);
    }
  });

  if (player) {
    // A shared link to "page.html#t=83" opens at that time, without playing by itself.
    seek(secondsOf(window.location.hash), false);
    var cues = Array.prototype.slice.call(document.querySelectorAll("[data-start]"));
    var current = null;
    player.addEventListener("timeupdate", function () {
      var found = null;
      for (var i = 0; i < cues.length; i++) {
        if (parseFloat(cues[i].getAttribute("data-start")) <= player.currentTime) found = cues[i];
        else break;
      }
      if (found !== current) {
        if (current) current.classList.remove("now");
        if (found) found.classList.add("now");
        current = found;
      }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    var status = document.getElementById(button.getAttribute("data-status"));
    if (!field) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      function report(ok) {
        if (status) status.textContent = button.getAttribute(ok ? "data-done" : "data-failed");
      }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(
          function () { report(true); },
          function () { report(copyBySelection()); }
        );
      } else {
        report(copyBySelection());
      }
    });
    function copyBySelection() {
      field.select();
      var ok = document.execCommand("copy");
      button.focus();  // keep the keyboard user where they were
      return ok;
    }
  });
})();
