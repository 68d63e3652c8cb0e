// Rendering: every piece of server data becomes DOM nodes through
// textContent and setAttribute; nothing is ever parsed as HTML. Links and
// images must be https: (or this page's or the API's origin).

function el(tag, attrs) {
  var n = document.createElement(tag);
  for (var k in attrs || {}) {
    var v = attrs[k];
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") n.textContent = v;
    else if (k === "class") n.className = v;
    else if (k === "on") for (var ev in v) n.addEventListener(ev, v[ev]);
    else n.setAttribute(k, v === true ? "" : v);
  }
  for (var i = 2; i < arguments.length; i++) {
    var c = arguments[i];
    if (c) n.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
  }
  return n;
}

// icon draws one of the widget's own (constant) SVG paths.
var ICONS = {
  chat: "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z",
  close: "M6 6l12 12M18 6L6 18",
  send: "M3 20l18-8L3 4v6l12 2-12 2z",
  clip: "M16.5 6.5l-8 8a2.5 2.5 0 0 0 3.5 3.5l8.5-8.5a4.5 4.5 0 0 0-6.4-6.4L5.6 11.6a6.5 6.5 0 0 0 9.2 9.2L20 15.6",
};
function icon(name) {
  var ns = "http://www.w3.org/2000/svg";
  var svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  var p = document.createElementNS(ns, "path");
  p.setAttribute("d", ICONS[name]);
  svg.appendChild(p);
  svg.classList.add("icon-" + name);
  return svg;
}

// safeURL returns u when it may be shown or opened, else null: https
// anywhere, or http(s) on this page's or the API's own origin. Never
// javascript:, data: or credentials in the URL.
function safeURL(u) {
  if (typeof u !== "string" || !u) return null;
  try {
    var x = new URL(u, location.href);
    if (x.username || x.password) return null;
    if (x.protocol === "https:") return x.href;
    if ((x.protocol === "http:") && (x.origin === location.origin || x.origin === API_ORIGIN)) return x.href;
  } catch (e) { /* not a URL */ }
  return null;
}

function linkTo(url, label, cls) {
  return el("a", { class: cls, href: url, target: "_blank", rel: "noopener noreferrer", text: label });
}

// buttons renders a message's or card's buttons: a value button sends its
// value as the visitor's message, a url button opens a new tab.
function buttons(list, ui) {
  if (!Array.isArray(list) || !list.length) return null;
  var box = el("div", { class: "buttons" });
  list.forEach(function (b) {
    if (!b || typeof b.label !== "string") return;
    if (b.url) {
      var u = safeURL(b.url);
      if (u) box.appendChild(linkTo(u, b.label, "btn"));
    } else if (typeof b.value === "string" && b.value) {
      box.appendChild(el("button", { type: "button", class: "btn", text: b.label,
        on: { click: function () { ui.sendText(b.value); } } }));
    }
  });
  return box;
}

function card(c, ui) {
  var img = safeURL(c.image_url);
  return el("div", { class: "card" },
    img ? el("img", { src: img, alt: "", referrerpolicy: "no-referrer", on: { load: function () { ui.scroll(); } } }) : null,
    el("div", { class: "card-body" },
      el("h3", { text: c.title || "" }),
      c.subtitle ? el("p", { text: c.subtitle }) : null),
    buttons(c.buttons, ui));
}

// renderContent builds a bot or operator message from its rich form
// (null while a reply streams: then the plain text).
function renderContent(m, ui) {
  var c = m.content && typeof m.content === "object" ? m.content : { type: "text", text: m.text };
  var box = el("div", { class: "content" });
  switch (c.type) {
    case "image": {
      var src = safeURL(c.url);
      if (src) box.appendChild(el("img", { class: "image", src: src, alt: c.text || c.name || "image", referrerpolicy: "no-referrer",
        on: { load: function () { ui.scroll(); } } }));
      if (c.text) box.appendChild(el("div", { class: "bubble", text: c.text }));
      break;
    }
    case "file": {
      var href = safeURL(c.url);
      var name = c.name || c.text || "file";
      box.appendChild(el("div", { class: "bubble file" }, href ? linkTo(href, "\u{1F4C4} " + name) : "\u{1F4C4} " + name));
      if (c.text && c.name) box.appendChild(el("div", { class: "bubble", text: c.text }));
      break;
    }
    case "card":
      box.appendChild(card(c, ui));
      break;
    case "carousel": {
      var row = el("div", { class: "carousel", role: "group", "aria-label": "cards" });
      (c.cards || []).forEach(function (k) { row.appendChild(card(k, ui)); });
      box.appendChild(row);
      break;
    }
    default: {
      var b = el("div", { class: "bubble" });
      b.appendChild(el("span", { class: "text", text: c.text || m.text || "" }));
      box.appendChild(b);
      var bs = buttons(c.buttons, ui);
      if (bs) box.appendChild(bs);
    }
  }
  return box;
}

var WHO = { visitor: "You", bot: "Bot", operator: "Agent" };

// renderMessage fills a message's row (created once per message ID and
// refilled when the message changes, e.g. a streamed reply completes).
function renderMessage(row, m, ui) {
  row.className = "msg " + m.sender + (m.status === "streaming" ? " streaming" : "");
  row.setAttribute("aria-busy", m.status === "streaming" ? "true" : "false");
  row.textContent = "";
  // Screen readers hear who spoke before each new message.
  row.appendChild(el("span", { class: "sr-only", text: (WHO[m.sender] || "") + ": " }));
  if (m.sender === "operator") row.appendChild(el("div", { class: "who", "aria-hidden": "true", text: "Agent" }));
  if (m.sender === "visitor") {
    row.appendChild(el("div", { class: "bubble", text: m.text }));
    var files = m.attachments || [];
    if (files.length) {
      var list = el("div", { class: "attachments" });
      files.forEach(function (id) { list.appendChild(el("span", { class: "chip", text: "\u{1F4CE} " + (ui.fileNames[id] || "attachment") })); });
      row.appendChild(list);
    }
  } else {
    row.appendChild(renderContent(m, ui));
  }
  if (m.status === "incomplete") row.appendChild(el("div", { class: "meta", text: "(reply interrupted)" }));
  if (m.failed) {
    row.appendChild(el("div", { class: "meta error" }, m.failed + " ",
      el("button", { type: "button", class: "link", text: "Retry", on: { click: function () { ui.retry(m.clientId); } } })));
  }
}

// appendDelta adds streamed text to a streaming message in place.
function appendDelta(row, delta) {
  var t = row.querySelector(".text");
  if (t) t.textContent += delta;
}
