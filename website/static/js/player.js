/*
 * player.js: enhances the player and transcript of episode and interview pages (no dependencies).
 * Without it, <audio controls> plays, the transcript reads as text and ?t= links reload the page at that
 * moment. It adds the toolbar and search from their <template>s, marks the current line and keeps it in
 * view, makes times, chapters and ?t= links seek in place, and honours ?t= and #t= (episodes/moments.py
 * has the same grammar). Markup: the player contract. Page text goes through textContent, never HTML.
 */
(function () {
  "use strict";
  var fig = document.querySelector("[data-player]");
  var audio = fig && fig.querySelector("audio");
  if (!audio || fig.hasAttribute("data-enhanced")) return; // the script may be linked twice
  fig.setAttribute("data-enhanced", "");
  var box = document.querySelector("[data-transcript]");
  var maxMs = +fig.getAttribute("data-duration-ms") || 864e5;
  var smooth = matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth";
  var lines = [], starts = [], ends = [], texts = [], current = -1, userAt = 0;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var name in attrs) node.setAttribute(name, attrs[name]);
    if (text) node.textContent = text;
    return node;
  }
  function ms(h, m, s, frac) {
    var t = ((+h || 0) * 3600 + (+m || 0) * 60 + +s) * 1000;
    if (frac) t += Math.round(+("0." + frac) * 1000);
    return t > 0 && t < maxMs ? t : null;
  }
  // Milliseconds, or null when the value names no moment inside the audio.
  function parseMoment(v) {
    var m;
    if (!v || v.length > 16) return null;
    if ((m = /^(\d{1,6})(?:\.(\d{1,3}))?$/.exec(v))) return ms(0, 0, m[1], m[2]);
    if ((m = /^(?:(\d{1,3}):)?(\d{1,3}):([0-5]\d)(?:\.(\d{1,3}))?$/.exec(v))) {
      return m[1] && +m[2] > 59 ? null : ms(m[1], m[2], m[3], m[4]);
    }
    m = /^(?:(\d{1,3})h)?(?:(\d{1,4})m)?(?:(\d{1,6})s)?$/i.exec(v);
    return m ? ms(m[1], m[2], m[3] || 0) : null;
  }

  // The toolbar, from its <template> in the figure.
  var bar = fig.querySelector("template[data-player-controls]").content.firstElementChild.cloneNode(true);
  var play = bar.querySelector("[data-action=play]"), speed = bar.querySelector("select");
  audio.after(bar);

  bar.addEventListener("click", function (event) {
    var action = (event.target.closest("button") || bar).getAttribute("data-action");
    if (action === "play") audio.paused ? start() : audio.pause();
    if (action === "back") jump(-15);
    if (action === "forward") jump(30);
    if (action === "share") share(here() + "?t=" + Math.floor(audio.currentTime), fig);
  });
  speed.addEventListener("change", function () {
    audio.playbackRate = audio.defaultPlaybackRate = +speed.value;
  });
  audio.addEventListener("play", function () { play.textContent = "Pause"; });
  audio.addEventListener("pause", function () { play.textContent = "Play"; });
  audio.addEventListener("timeupdate", function () { follow(audio.currentTime * 1000); });

  function start() {
    var playing = audio.play();
    if (playing) playing.catch(function () {}); // refused: the native controls remain
  }
  function jump(seconds) {
    audio.currentTime = Math.max(0, Math.min(audio.duration || maxMs / 1000, audio.currentTime + seconds));
  }
  function seek(at, andPlay, reveal) {
    audio.currentTime = at / 1000;
    follow(at, reveal);
    if (andPlay) start();
  }

  // Sharing: this page's address with ?t= (in the embedded player, the episode page's).
  function here() {
    var page = fig.getAttribute("data-share-url") || "";
    return new URL(page, location).pathname === location.pathname ? location.origin + location.pathname : page;
  }
  function share(url, where) {
    var region = where.querySelector("[data-share-status]") || fig.querySelector("[data-player-status]");
    function say(message) {
      region.textContent = ""; // so that the same message is announced again
      setTimeout(function () { region.textContent = message; }, 50);
    }
    function refused() {
      var field = where.querySelector(".share-url input");
      if (!field) {
        var label = el("label", { class: "share-url" }, "Link to this moment ");
        field = label.appendChild(el("input", { type: "text", readonly: "" }));
        region.after(label);
      }
      field.value = url;
      field.select();
      say("Copy the link from the field below");
    }
    if (!navigator.clipboard) return refused();
    navigator.clipboard.writeText(url).then(function () { say("Link copied"); }, refused);
  }

  // The transcript: line times become buttons; the current line follows the audio.
  function follow(at, reveal) {
    var found = -1;
    for (var i = 0; i < lines.length && found < 0; i++) if (starts[i] <= at && at < ends[i]) found = i;
    if (found === current && !reveal) return;
    if (current >= 0) {
      lines[current].classList.remove("is-current");
      lines[current].removeAttribute("aria-current");
    }
    var line = lines[(current = found)];
    if (!line) return;
    line.classList.add("is-current");
    line.setAttribute("aria-current", "true");
    // Kept in view, unless the listener scrolled the transcript in the last few seconds.
    if (!line.hidden && (reveal || (!audio.paused && Date.now() - userAt > 4000))) {
      box.scrollTo({ top: line.offsetTop - box.clientHeight / 3, behavior: smooth });
    }
  }

  if (box) {
    box.classList.add("is-enhanced");
    lines = [].slice.call(box.querySelectorAll("p[data-start-ms]"));
    lines.forEach(function (line, i) {
      var time = line.querySelector("time");
      starts[i] = +line.getAttribute("data-start-ms");
      ends[i] = +line.getAttribute("data-end-ms");
      texts[i] = line.textContent.slice(time ? time.textContent.length : 0).toLowerCase();
      if (time) {
        line.insertBefore(el("button", { type: "button", class: "seek", "data-seek-ms": starts[i] }), time)
          .appendChild(time);
      }
    });
    box.addEventListener("click", function (event) {
      var line = event.target.closest("p[data-start-ms]");
      if (!line || event.target.closest("a")) return;
      // A click on the text seeks too, unless it ends a selection.
      if (event.target.closest(".seek") || !String(getSelection())) {
        seek(+line.getAttribute("data-start-ms"), true);
      }
    });
    // The listener's own scrolling (never the script's) pauses the following for a few seconds.
    ["wheel", "touchmove", "keydown", "mousedown"].forEach(function (type) {
      box.addEventListener(type, function () { userAt = Date.now(); }, { passive: true });
    });

    var search = box.parentNode.querySelector("template[data-transcript-search]").content.firstElementChild;
    box.before(search.cloneNode(true));
    var input = box.parentNode.querySelector("[data-transcript-filter]"), timer;
    var count = box.parentNode.querySelector("[data-transcript-count]");
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(filter, 150);
    });
  }
  function filter() {
    var query = input.value.trim().toLowerCase(), matches = 0;
    lines.forEach(function (line, i) {
      line.querySelectorAll("mark").forEach(function (m) { m.replaceWith(m.textContent); });
      line.normalize();
      line.hidden = texts[i].indexOf(query) < 0;
      if (query && !line.hidden) {
        matches++;
        mark(line, query);
      }
    });
    // A speaker's turn stays shown, name and all, while any of its lines is: so a match says who said it.
    box.querySelectorAll(".transcript-turn").forEach(function (turn) {
      turn.hidden = !turn.querySelector("p[data-start-ms]:not([hidden])");
    });
    count.textContent = query ? matches + (matches === 1 ? " line matches" : " lines match") : "";
  }
  function mark(line, query) {
    var walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT), found = [], text;
    while ((text = walker.nextNode())) if (!text.parentNode.closest(".seek")) found.push(text);
    found.forEach(function (text) {
      var lower = text.data.toLowerCase(), at;
      if (lower.length !== text.data.length) return; // case folding moved the letters: no mark
      while ((at = lower.indexOf(query)) >= 0) {
        var hit = text.splitText(at);
        text = hit.splitText(query.length);
        hit.replaceWith(el("mark", {}, hit.data));
        lower = text.data.toLowerCase();
      }
    });
  }

  // Links: chapters, moments and ?t= links to this page seek in place; data-share links copy.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[href]");
    if (!link || event.defaultPrevented || event.button || event.metaKey || event.ctrlKey || event.shiftKey) {
      return;
    }
    var local = link.origin === location.origin && link.pathname === location.pathname;
    var at = link.hasAttribute("data-seek-ms") ? +link.getAttribute("data-seek-ms") : null;
    if (local && at === null) at = parseMoment(new URLSearchParams(link.search).get("t"));
    if (link.hasAttribute("data-share")) {
      share(local ? here() + link.search : link.href, link.closest("section") || fig);
    }
    else if (at === null) return;
    else seek(at, true, true);
    event.preventDefault();
  });

  function fromAddress() {
    var hash = /(?:^#|&)t=([^&]*)/.exec(location.hash), at = null;
    try {
      at = parseMoment(hash ? decodeURIComponent(hash[1]) : new URLSearchParams(location.search).get("t"));
    } catch (e) { /* a malformed escape names no moment */ }
    if (at !== null) seek(at, false, true); // no autoplay: the first press of play starts here
  }
  addEventListener("hashchange", fromAddress);
  fromAddress();
})();
