// Progressive enhancement for forms; every form works without this file.
// - An error summary (or other alert marked data-focus-on-load) gets focus
//   when the page loads, so screen readers read it first.
// - A link in the error summary moves focus to its field and scrolls the
//   field's label or legend into view, not just the input.
// - A character counter (data-counter-for) tells how many characters are left;
//   screen readers hear it once the person pauses, not on every key.
"use strict";

(function () {
  function focusOnLoad() {
    var target = document.querySelector("[data-focus-on-load]");
    if (target) {
      target.focus();
    }
  }

  function labelFor(input) {
    var fieldset = input.closest("fieldset");
    if (fieldset && (input.type === "radio" || input.type === "checkbox")) {
      var legend = fieldset.querySelector("legend");
      if (legend) {
        return legend;
      }
    }
    return document.querySelector('label[for="' + input.id + '"]') || input;
  }

  function linkErrors() {
    document.querySelectorAll("[data-error-link]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        var input = document.getElementById(link.getAttribute("href").slice(1));
        if (!input) {
          return;
        }
        event.preventDefault();
        labelFor(input).scrollIntoView();
        input.focus({ preventScroll: true });
      });
    });
  }

  function characterCount(text) {
    // Count as the server does: code points, a line break as one.
    return Array.from(text.replace(/\r\n/g, "\n")).length;
  }

  function setUpCounter(counter) {
    var field = document.getElementById(counter.dataset.counterFor);
    var max = parseInt(counter.dataset.max, 10);
    if (!field || !max) {
      return;
    }
    var visible = counter.querySelector("[data-counter-visible]");
    var live = counter.querySelector("[data-counter-live]");
    var timer = null;

    function message() {
      var left = max - characterCount(field.value);
      var over = left < 0;
      var count = Math.abs(left);
      var template = over
        ? (count === 1 ? counter.dataset.overOne : counter.dataset.over)
        : (count === 1 ? counter.dataset.leftOne : counter.dataset.left);
      counter.classList.toggle("is-over", over);
      return template.replace("{count}", count);
    }

    function update() {
      visible.textContent = message();
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        live.textContent = visible.textContent;
      }, 1000);
    }

    field.addEventListener("input", update);
    visible.textContent = message();
    counter.hidden = false;
  }

  function start() {
    focusOnLoad();
    linkErrors();
    document.querySelectorAll("[data-counter-for]").forEach(setUpCounter);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
