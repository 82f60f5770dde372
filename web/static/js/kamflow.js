// kamflow's own script: served by the app (no inline code), loaded with `defer` on every page.
// Every POST made by a script carries the page's CSRF token in the X-CSRFToken header.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // htmx requests (hx-post, hx-put, hx-patch, hx-delete) send the token as a header.
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.verb !== "get") {
      event.detail.headers["X-CSRFToken"] = csrfToken();
    }
  });

  // For hand-written fetch calls: kamflow.post(url, formData) → Promise<Response>.
  window.kamflow = {
    csrfToken: csrfToken,
    post: function (url, body) {
      return fetch(url, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken() }
      });
    }
  };
})();
