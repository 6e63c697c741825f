// The header search box as an ARIA combobox: htmx fills #search-suggestions as the
// shopper types (links that are the listbox's options); here the arrow keys move
// through them, Enter follows the active one, Escape closes the list. Without this file the box is a plain search form.
(function () {
  "use strict";
  function setup() {
    var input = document.getElementById("header-q");
    var list = document.getElementById("search-suggestions");
    if (!input || !list) { return; }
    var active = -1;
    function options() { return list.querySelectorAll('[role="option"]'); }
    function show(index) {
      var all = options();
      active = index;
      all.forEach(function (option, i) { option.setAttribute("aria-selected", i === index ? "true" : "false"); });
      if (index >= 0 && all[index]) {
        input.setAttribute("aria-activedescendant", all[index].id);
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }
    function close() { list.innerHTML = ""; input.setAttribute("aria-expanded", "false"); show(-1); }
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.target === list) {
        input.setAttribute("aria-expanded", options().length ? "true" : "false");
        show(-1);
      }
    });
    input.addEventListener("keydown", function (event) {
      var count = options().length;
      if (event.key === "ArrowDown" && count) {
        event.preventDefault(); show((active + 1) % count);
      } else if (event.key === "ArrowUp" && count) {
        event.preventDefault(); show(active <= 0 ? count - 1 : active - 1);
      } else if (event.key === "Enter" && active >= 0 && options()[active]) {
        event.preventDefault(); options()[active].click();
      } else if (event.key === "Escape") {
        close();
      }
    });
    document.addEventListener("click", function (event) {
      if (!input.form.contains(event.target)) { close(); }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
}());
