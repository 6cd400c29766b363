/*
 * waveform.js: the episode's waveform under the player, with its chapters marked (no dependencies).
 * The peaks come from data-waveform-url on the player's figure: the JSON of BBC's audiowaveform (version 2,
 * min/max pairs; see episodes/delivery/waveform.py), computed when the file for listeners was made. The
 * waveform is a slider (arrow keys move 5 s, Page Up/Down 30 s, Home/End; a click or a drag seeks), the
 * part already played is drawn in the accent colour, and each chapter of the page's chapter list is a
 * tick with a button that plays from its start. Nothing is added until the peaks have loaded: without
 * JavaScript, or when they do not load, the page keeps the plain player.
 */
(function () {
  "use strict";
  var fig = document.querySelector("[data-player][data-waveform-url]");
  var audio = fig && fig.querySelector("audio");
  if (!audio || fig.hasAttribute("data-waveform")) return; // the script may be linked twice
  fig.setAttribute("data-waveform", "");
  var SVG = "http://www.w3.org/2000/svg", MAX_BARS = 240, MARK_PX = 24;
  var still = matchMedia("(prefers-reduced-motion: reduce)");
  var durationMs = +fig.getAttribute("data-duration-ms") || 0;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var name in attrs) node.setAttribute(name, attrs[name]);
    if (text) node.textContent = text;
    return node;
  }
  function shape(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    for (var name in attrs) node.setAttribute(name, attrs[name]);
    return node;
  }
  function clock(seconds) {
    var s = Math.floor(seconds || 0), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    var ss = ("0" + (s % 60)).slice(-2);
    return h ? h + ":" + ("0" + m).slice(-2) + ":" + ss : m + ":" + ss;
  }
  // The master's length, known before the audio's metadata has loaded (the rendition's timing is the same).
  function total() {
    return durationMs ? durationMs / 1000 : isFinite(audio.duration) ? audio.duration : 0;
  }

  // Each bar: the loudest of its pixels, 0 to 1 (the peaks are scaled so that the loudest reaches 1).
  function bars(doc) {
    var n = doc.length, count = Math.min(n, MAX_BARS), out = [];
    for (var b = 0; b < count; b++) {
      var from = Math.floor((b * n) / count), to = Math.max(from + 1, Math.floor(((b + 1) * n) / count));
      var top = 0;
      for (var i = from; i < to; i++) {
        top = Math.max(top, Math.abs(doc.data[2 * i]), Math.abs(doc.data[2 * i + 1]));
      }
      out.push(Math.min(top / 128, 1));
    }
    return out;
  }

  function chapters() {
    return [].slice.call(document.querySelectorAll(".chapters a[data-seek-ms]")).map(function (link) {
      var time = link.querySelector("time");
      return {
        ms: +link.getAttribute("data-seek-ms"),
        time: time ? time.textContent : clock(+link.getAttribute("data-seek-ms") / 1000),
        title: link.textContent.slice(time ? time.textContent.length : 0).trim(),
      };
    });
  }

  function draw(doc) {
    if (!doc || !doc.length || !doc.data || doc.data.length < 2 * doc.length || !total()) return;
    var heights = bars(doc), count = heights.length;
    var box = el("div", { class: "waveform" });
    var track = el("div", {
      class: "waveform-track", role: "slider", tabindex: "0", "aria-label": "Position in the episode",
      "aria-valuemin": "0", "aria-valuemax": String(Math.round(total())),
    });
    var picture = shape("svg", {
      viewBox: "0 0 " + count + " 100", preserveAspectRatio: "none", "aria-hidden": "true", focusable: "false",
    });
    var clip = shape("clipPath", { id: "waveform-played" });
    var played = clip.appendChild(shape("rect", { x: "0", y: "0", width: "0", height: "100" }));
    picture.appendChild(shape("defs", {})).appendChild(clip);
    var base = picture.appendChild(shape("g", { class: "waveform-bars" }));
    heights.forEach(function (h, i) {
      var tall = Math.max(h * 96, 2);
      base.appendChild(shape("rect", { x: i + 0.15, y: 50 - tall / 2, width: "0.7", height: tall }));
    });
    var over = base.cloneNode(true);
    over.setAttribute("class", "waveform-played");
    over.setAttribute("clip-path", "url(#waveform-played)");
    picture.appendChild(over);

    var marks = el("div", { class: "waveform-chapters", role: "group", "aria-label": "Chapters on the waveform" });
    var buttons = [];
    chapters().forEach(function (chapter) {
      var at = chapter.ms / 1000 / total();
      if (!(at >= 0 && at < 1)) return;
      picture.appendChild(shape("line", {
        class: "waveform-tick", x1: at * count, x2: at * count, y1: "0", y2: "100",
      }));
      var button = el("button", {
        type: "button", class: at > 0.5 ? "is-late" : "", "data-seek-ms": chapter.ms,
        "data-title": chapter.time + " " + chapter.title,
        "aria-label": "Play chapter " + chapter.title + ", at " + chapter.time,
      });
      button.style.left = at * 100 + "%";
      buttons.push(marks.appendChild(button));
    });
    track.appendChild(picture);
    box.appendChild(track);
    if (buttons.length) box.appendChild(marks);
    audio.after(box);

    // Marks closer than a finger's width to the previous one are left out (the chapter list has them all).
    function layout() {
      var width = marks.clientWidth, last = -Infinity;
      buttons.forEach(function (button) {
        var x = (parseFloat(button.style.left) / 100) * width;
        button.hidden = x - last < MARK_PX;
        if (!button.hidden) last = x;
      });
    }
    layout();
    addEventListener("resize", layout);

    function show() {
      var now = audio.currentTime || 0, fraction = Math.min(now / total(), 1);
      played.setAttribute("width", fraction * count);
      track.setAttribute("aria-valuenow", String(Math.round(now)));
      track.setAttribute("aria-valuetext", clock(now) + " of " + clock(total()));
    }
    // Smooth while playing, unless the listener asked for less motion: then it moves with timeupdate only.
    function frame() {
      show();
      if (!audio.paused && !still.matches) requestAnimationFrame(frame);
    }
    audio.addEventListener("timeupdate", show);
    audio.addEventListener("seeked", show);
    audio.addEventListener("play", function () { requestAnimationFrame(frame); });
    show();

    function seekTo(seconds) {
      audio.currentTime = Math.max(0, Math.min(total(), seconds));
      show();
    }
    function fromPointer(event) {
      var rect = track.getBoundingClientRect();
      seekTo(((event.clientX - rect.left) / rect.width) * total());
    }
    track.addEventListener("pointerdown", function (event) {
      if (event.button) return;
      track.setPointerCapture(event.pointerId);
      track.focus();
      fromPointer(event);
    });
    track.addEventListener("pointermove", function (event) {
      if (track.hasPointerCapture(event.pointerId)) fromPointer(event);
    });
    track.addEventListener("keydown", function (event) {
      var steps = { ArrowRight: 5, ArrowUp: 5, ArrowLeft: -5, ArrowDown: -5, PageUp: 30, PageDown: -30 };
      var now = audio.currentTime || 0;
      if (event.key in steps) seekTo(now + steps[event.key]);
      else if (event.key === "Home") seekTo(0);
      else if (event.key === "End") seekTo(total());
      else return;
      event.preventDefault();
    });
    marks.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-seek-ms]");
      if (!button) return;
      seekTo(+button.getAttribute("data-seek-ms") / 1000);
      var playing = audio.play();
      if (playing) playing.catch(function () {}); // refused: the listener presses play
    });
  }

  fetch(fig.getAttribute("data-waveform-url"), { credentials: "same-origin" })
    .then(function (response) { return response.ok ? response.json() : null; })
    .then(draw)
    .catch(function () {}); // no waveform: the plain player stays
})();
