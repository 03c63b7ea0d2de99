// factcheck editor: keyboard shortcuts and small conveniences. Plain JS, no dependencies.
// Every page works without it; it only saves keystrokes.
(function () {
  "use strict";

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  // Rows of a queue table: j / k move, Enter opens (the row's link has focus).
  function rows() {
    var table = document.querySelector("[data-nav-rows]");
    return table ? Array.prototype.slice.call(table.querySelectorAll("tbody tr")) : [];
  }
  function focusRow(index) {
    var all = rows();
    if (!all.length) return;
    index = Math.max(0, Math.min(all.length - 1, index));
    all.forEach(function (row) { row.classList.remove("current"); });
    all[index].classList.add("current");
    var link = all[index].querySelector("a");
    if (link) link.focus();
  }
  function currentRow() {
    var all = rows();
    for (var i = 0; i < all.length; i++) {
      if (all[i].contains(document.activeElement) || all[i].classList.contains("current")) return i;
    }
    return -1;
  }

  var pendingG = false;
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var key = event.key;
    if (pendingG) {
      pendingG = false;
      if (key === "q") { window.location.href = "/editor/queue"; event.preventDefault(); }
      if (key === "d") { window.location.href = "/editor/dashboard"; event.preventDefault(); }
      return;
    }
    if (key === "g") { pendingG = true; return; }
    if (key === "j") { focusRow(currentRow() + 1); event.preventDefault(); }
    else if (key === "k") { focusRow(currentRow() - 1); event.preventDefault(); }
    else if (key === "/") {
      var search = document.querySelector("[data-search]");
      if (search) { search.focus(); search.select(); event.preventDefault(); }
    } else if (key === "c" || key === "r" || key === "x") {
      // The item page's decisions: confirm or reject the first suggestion, or not check-worthy.
      var button = document.querySelector('button[data-key="' + key + '"]');
      if (button && !button.disabled) { button.click(); event.preventDefault(); }
    } else if (key === "n") {
      var next = document.querySelector('[data-key="n"]');
      if (next) { window.location.href = next.getAttribute("href"); event.preventDefault(); }
    }
  });

  // Buttons that need a second thought (retire, disable, revoke) ask first.
  document.addEventListener("submit", function (event) {
    var button = event.submitter || event.target.querySelector("[data-confirm]");
    var question = button && button.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });

  // A submitted decision cannot be sent twice by a double click.
  document.addEventListener("submit", function (event) {
    if (event.defaultPrevented) return;
    var form = event.target;
    window.setTimeout(function () {
      Array.prototype.forEach.call(form.querySelectorAll("button[type=submit]"), function (b) { b.disabled = true; });
    }, 0);
  });

  // Copy a freshly created API key.
  document.addEventListener("click", function (event) {
    var id = event.target.getAttribute && event.target.getAttribute("data-copy");
    if (!id) return;
    var text = document.getElementById(id).textContent;
    if (navigator.clipboard) navigator.clipboard.writeText(text).then(function () { event.target.textContent = "Copied"; });
  });
})();
