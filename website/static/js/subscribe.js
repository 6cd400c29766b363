/* Subscribe boxes: a "Copy" button for the feed address. Without JavaScript the button stays hidden and
   the read-only field can be selected and copied by hand. No dependencies. */
(function () {
  "use strict";
  if (window.subscribeCopyReady) return; // the box may be included more than once on a page
  window.subscribeCopyReady = true;

  function say(status, message) {
    if (!status) return;
    status.textContent = "";
    // A fresh text node after a tick, so that screen readers announce a repeated "Copied" again.
    window.setTimeout(function () { status.textContent = message; }, 50);
  }

  function copy(field) {
    field.focus();
    field.select();
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(field.value);
    }
    return new Promise(function (resolve, reject) {
      try {
        if (document.execCommand("copy")) resolve(); else reject(new Error("copy refused"));
      } catch (error) {
        reject(error);
      }
    });
  }

  function setUp(button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    var box = button.closest("[data-subscribe]");
    var status = box && box.querySelector("[data-copy-status]");
    if (!field) return;
    button.hidden = false;
    field.addEventListener("focus", function () { field.select(); });
    button.addEventListener("click", function () {
      copy(field).then(
        function () { say(status, "Copied"); },
        function () { say(status, "Your browser did not allow copying: the address is selected, copy it with your keyboard or menu."); }
      );
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), setUp);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
