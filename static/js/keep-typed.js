// Admin pages: nothing typed is lost without asking.
// When text was typed into a form and the page is left any other way than
// by sending that form (another button, a link), the browser asks first.
(function () {
  "use strict";
  const TYPED = new Set(["text", "email", "tel", "number", "url", "search", "date", "time"]);
  let typedInto = null;
  let sending = false;

  document.addEventListener("input", function (event) {
    const field = event.target;
    const typed = field.tagName === "TEXTAREA" || (field.tagName === "INPUT" && TYPED.has(field.type));
    if (typed && field.form && field.form.method.toLowerCase() === "post") {
      typedInto = field.form;
    }
  });
  document.addEventListener("submit", function (event) {
    if (event.target === typedInto) {
      sending = true;
    }
  });
  window.addEventListener("beforeunload", function (event) {
    if (typedInto && !sending) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
