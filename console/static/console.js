// Switchboard console: the few things plain forms cannot do. Every page
// works without this file; it adds copy buttons, confirmations, the live
// customer card (Server-Sent Events) and a Refresh that does not reload.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  // A page answering a post (a secret shown once, a test outcome): make
  // reloading it a GET of the page's own address, which shows neither
  // again, instead of posting again.
  var reload = document.body.getAttribute("data-posted");
  if (reload && reload.indexOf("/console/") === 0 && window.history.replaceState) {
    window.history.replaceState(null, "", reload);
  }

  // Copy buttons: data-copy names the element whose text is copied.
  document.querySelectorAll("button[data-copy]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var el = document.getElementById(btn.dataset.copy);
      if (!el) return;
      var done = function () { btn.textContent = "Copied"; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(el.textContent).then(done, function () { selectText(el); });
      } else {
        selectText(el);
        try { if (document.execCommand("copy")) done(); } catch (e) { /* the text stays selected */ }
      }
    });
  });

  // Forms that change something hard to undo ask first.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (!window.confirm(form.dataset.confirm)) ev.preventDefault();
    });
  });

  // An app action's on/off badge follows its checkbox before saving.
  document.querySelectorAll("details.action").forEach(function (d) {
    var box = d.querySelector('input[type="checkbox"]');
    var badge = d.querySelector("summary .badge");
    if (!box || !badge) return;
    box.addEventListener("change", function () {
      badge.textContent = box.checked ? "on" : "off";
      badge.className = "badge " + (box.checked ? "badge-active" : "badge-inactive");
    });
  });

  var card = document.getElementById("customer-card");
  if (card && card.dataset.stream && window.EventSource) {
    var status = document.getElementById("refresh-status");
    var es = new EventSource(card.dataset.stream);
    es.addEventListener("card", function (ev) {
      // Rendered and escaped by the server's template.
      card.innerHTML = ev.data;
    });
    es.addEventListener("error", function () {
      if (es.readyState === EventSource.CLOSED && status) {
        status.textContent = "Live updates stopped. Reload the page.";
      }
    });
  }

  var refresh = document.getElementById("refresh-form");
  if (refresh && window.fetch) {
    refresh.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var btn = refresh.querySelector("button");
      var status = document.getElementById("refresh-status");
      btn.disabled = true;
      status.textContent = "Refreshing…";
      fetch(refresh.action, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRF-Token": refresh.dataset.csrf, "Accept": "application/json" }
      }).then(function (resp) {
        if (resp.status === 401) {
          window.location.href = "/console/signin";
          return null;
        }
        return resp.json().catch(function () { return { error: "Refresh failed (HTTP " + resp.status + ")." }; });
      }).then(function (body) {
        if (body) status.textContent = body.error ? body.error : "Refreshed.";
      }).catch(function () {
        status.textContent = "Refresh failed: the server did not answer.";
      }).finally(function () {
        btn.disabled = false;
      });
    });
  }
});

function selectText(el) {
  var range = document.createRange();
  range.selectNodeContents(el);
  var sel = window.getSelection();
  sel.removeAllRanges();
  sel.addRange(range);
}
