// The demo page's configuration: ?org=&key=&visitor= when given, else
// what `switchboard dev --demo-backend` published. The values are only
// ever passed to the widget as data, never written into the page.
(function () {
  "use strict";
  var status = document.getElementById("demo-status");
  function say(text, problem) {
    status.textContent = text;
    status.className = problem ? "problem" : "";
  }
  function load(cfg) {
    window.SwitchboardConfig = { orgId: cfg.orgId, apiKey: cfg.apiKey, visitorId: cfg.visitorId || "demo-visitor", title: "Switchboard demo" };
    var s = document.createElement("script");
    s.src = "/widget.js";
    s.onload = function () { say("The widget is loaded for org " + cfg.orgId + " (visitor " + window.SwitchboardConfig.visitorId + ")."); };
    s.onerror = function () { say("/widget.js could not be loaded.", true); };
    document.body.appendChild(s);
  }
  var q = new URLSearchParams(location.search);
  if (q.get("org") && q.get("key")) {
    load({ orgId: q.get("org"), apiKey: q.get("key"), visitorId: q.get("visitor") });
    return;
  }
  fetch("/widget/demo-config.json", { cache: "no-store" })
    .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
    .then(load)
    .catch(function () {
      say("No demo is configured: run `switchboard dev --demo-backend`, or open /demo?org=ORG_ID&key=PUBLIC_KEY&visitor=VISITOR_ID.", true);
    });
})();
