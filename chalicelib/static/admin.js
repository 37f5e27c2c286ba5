/* Countersign admin: the edit page's live preview. The form works without this file (the preview then
   shows the fields as last saved). Sends the form, with this session's CSRF token, to /admin/preview,
   which renders the sign page's campaign part on the server with the same template and sanitiser. */
(function () {
  "use strict";
  var form = document.querySelector("[data-preview-form]");
  var box = document.querySelector("[data-preview]");
  if (!form || !box || !window.fetch) return;
  var timer = null;
  var sent = 0;

  function refresh() {
    var mine = ++sent;
    var body = new URLSearchParams(new FormData(form));
    fetch(form.getAttribute("data-preview-url"), {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": form.elements.csrf_token.value },
      body: body.toString(),
      credentials: "same-origin"
    })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) { if (html !== null && mine === sent) box.innerHTML = html; })
      .catch(function () {});
  }

  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  });
})();
