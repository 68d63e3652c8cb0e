// The panel: launcher, message log, composer, and the conversation state.
//
// The event stream is the one source of what the log shows. A message the
// visitor sends is drawn at once as pending (keyed by its client message
// ID) and adopted by the stream's "message" event that carries that
// client_message_id; every other row is keyed by the server's message ID,
// so a replayed or repeated event refills its row instead of adding one.
// Rows are ordered by created_at, not arrival: a visitor message is
// re-sent by the stream each time its relay state changes.

function Widget() {
  this.session = new Session(CONFIG.orgId, CONFIG.visitorId);
  this.api = new Api(this.session);
  this.msgs = {}; // server message ID -> {row, view, ts}
  this.pending = {}; // client message ID -> {row, view, files, fileIds, stored}
  this.replies = {}; // visitor message ID -> its "reply" event
  // file ID -> name: the event stream names attachments by ID only, so
  // the names of the visitor's own uploads are kept with the session.
  this.fileNames = (this.session.data && this.session.data.files) || {};
  this.picked = []; // files chosen for the next message
  this.queue = Promise.resolve();
  this.lastVisitor = null;
  this.unread = 0;
  this.atBottom = true;
  this.build();
  var self = this;
  this.stream = new EventStream(this.api, {
    event: function (name, data, id) { self.onEvent(name, data, +id || 0); },
    state: function (s) { self.status.textContent = s === "reconnecting" ? "Reconnecting\u2026" : ""; },
    gone: function () { self.onGone(); },
  });
  if (this.session.data) this.stream.start();
  this.syncAttach();
}

Widget.prototype.build = function () {
  var self = this;
  var host = el("div", { id: "switchboard-widget" });
  var shadow = host.attachShadow({ mode: "open" });
  try {
    var sheet = new CSSStyleSheet(); // not subject to the page's style-src CSP
    sheet.replaceSync(CSS);
    shadow.adoptedStyleSheets = [sheet];
  } catch (e) {
    shadow.appendChild(el("style", { text: CSS }));
  }
  var root = (this.root = el("div", { class: "root" }));
  if (CONFIG.color && window.CSS && CSS.supports && window.CSS.supports("color", CONFIG.color)) {
    root.style.setProperty("--sb-accent", CONFIG.color);
  }
  var title = String(CONFIG.title || "Chat with us");
  this.badge = el("span", { class: "badge", hidden: true, "aria-hidden": "true" });
  this.launcher = el("button", { type: "button", class: "launcher", "aria-label": "Open chat", "aria-expanded": "false",
    "aria-controls": "sb-panel", on: { click: function () { self.toggle(); } } }, icon("chat"), this.badge);
  this.status = el("span", { class: "status", role: "status" });
  this.log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": "Messages", tabindex: "0",
    on: { scroll: function () { self.atBottom = self.log.scrollHeight - self.log.scrollTop - self.log.clientHeight < 60; } } },
    el("p", { class: "notice", text: String(CONFIG.greeting || "Hi! Ask us anything.") }));
  this.typing = el("div", { class: "typing", role: "status", hidden: true },
    el("span", { class: "sr-only", text: "Typing\u2026" }), el("i"), el("i"), el("i"));
  this.quick = el("div", { class: "quick", role: "group", "aria-label": "Suggested replies", hidden: true });
  this.error = el("div", { class: "error", role: "alert", hidden: true });
  this.chips = el("div", { class: "chips", hidden: true });
  this.fileInput = el("input", { type: "file", class: "sr-only", tabindex: "-1", multiple: true, "aria-hidden": "true",
    accept: "image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain",
    on: { change: function () { self.pick(self.fileInput.files); self.fileInput.value = ""; } } });
  this.attach = el("button", { type: "button", class: "icon-btn attach", "aria-label": "Attach a file",
    on: { click: function () { self.fileInput.click(); } } }, icon("clip"));
  this.input = el("textarea", { id: "sb-input", rows: "1", "aria-label": "Message", placeholder: "Type a message\u2026",
    maxlength: "10000", on: {
      keydown: function (e) {
        if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); self.submit(); }
      },
      input: function () { self.autosize(); },
    } });
  var form = el("form", { class: "composer", on: { submit: function (e) { e.preventDefault(); self.submit(); } } },
    this.fileInput, this.attach, this.input,
    el("button", { type: "submit", class: "icon-btn send", "aria-label": "Send" }, icon("send")));
  this.panel = el("div", { id: "sb-panel", class: "panel", role: "dialog", "aria-labelledby": "sb-title", hidden: true,
    on: { keydown: function (e) { if (e.key === "Escape") { e.stopPropagation(); self.close(); } } } },
    el("header", null, el("h2", { id: "sb-title", text: title }), this.status,
      el("button", { type: "button", class: "close", "aria-label": "Close chat", on: { click: function () { self.close(); } } }, icon("close"))),
    this.log, this.typing, this.quick, this.error, this.chips, form);
  // Quick replies, chips or the typing line showing shrink the log: keep
  // its newest message in view.
  if (window.ResizeObserver) new ResizeObserver(function () { self.scroll(); }).observe(this.log);
  root.appendChild(this.panel);
  root.appendChild(this.launcher);
  shadow.appendChild(root);
  document.body.appendChild(host);
};

Widget.prototype.toggle = function () { if (this.panel.hidden) this.open(); else this.close(); };
Widget.prototype.open = function () {
  this.panel.hidden = false;
  this.root.classList.add("open");
  this.launcher.setAttribute("aria-expanded", "true");
  this.launcher.setAttribute("aria-label", "Close chat");
  this.unread = 0;
  this.badge.hidden = true;
  this.markSeen();
  this.log.scrollTop = this.log.scrollHeight;
  this.input.focus();
};
Widget.prototype.close = function () {
  this.panel.hidden = true;
  this.root.classList.remove("open");
  this.launcher.setAttribute("aria-expanded", "false");
  this.launcher.setAttribute("aria-label", "Open chat");
  this.launcher.focus();
};
// markSeen remembers the last event the visitor saw, so a reload counts
// as unread only what came after it.
Widget.prototype.markSeen = function () {
  if (this.session.data && String(this.session.data.seen || 0) !== this.stream.lastId) this.session.save({ seen: this.stream.lastId });
};

// autosize grows the box with its text, up to the stylesheet's maximum.
Widget.prototype.autosize = function () {
  var t = this.input;
  t.style.height = "";
  if (t.scrollHeight > t.clientHeight) t.style.height = Math.min(t.scrollHeight + t.offsetHeight - t.clientHeight, 120) + "px";
};
// Files go into an existing conversation: the first message opens it.
Widget.prototype.syncAttach = function () {
  var open = !!this.session.data;
  this.attach.disabled = !open;
  this.attach.title = open ? "Attach a file" : "Send a message first to attach files";
};
Widget.prototype.pick = function (list) {
  for (var i = 0; i < list.length && this.picked.length < 5; i++) this.picked.push(list[i]);
  this.drawChips();
};
Widget.prototype.drawChips = function () {
  var self = this;
  this.chips.textContent = "";
  this.picked.forEach(function (f, i) {
    self.chips.appendChild(el("span", { class: "chip" }, f.name,
      el("button", { type: "button", class: "chip-x", "aria-label": "Remove " + f.name, text: "\u00d7",
        on: { click: function () { self.picked.splice(i, 1); self.drawChips(); self.input.focus(); } } })));
  });
  this.chips.hidden = !this.picked.length;
};
Widget.prototype.showError = function (msg) {
  this.error.textContent = msg || "";
  this.error.hidden = !msg;
};

Widget.prototype.submit = function () {
  var text = this.input.value.trim(), files = this.picked;
  if (!text && !files.length) return;
  // A message needs text: a files-only message says what it carries.
  if (!text) text = files.map(function (f) { return f.name; }).join(", ");
  this.input.value = "";
  this.autosize();
  this.picked = [];
  this.drawChips();
  this.sendText(text, files);
};

// sendText draws the message as pending and queues it. The queue keeps
// the visitor's order; each message holds it only until it is stored
// (the stream shows it, or the POST answers), not until the bot replies.
Widget.prototype.sendText = function (text, files) {
  var id = newId();
  var p = { view: { sender: "visitor", text: text, attachments: [], clientId: id }, files: files || [], fileIds: null };
  p.row = el("div");
  p.row.sbTs = null;
  this.pending[id] = p;
  renderMessage(p.row, p.view, this);
  p.row.classList.add("pending");
  this.log.appendChild(p.row);
  this.showError("");
  this.renderQuick();
  this.atBottom = true;
  this.scroll();
  this.enqueue(p);
};
Widget.prototype.enqueue = function (p) {
  var self = this;
  this.queue = this.queue.then(function () { return self.deliver(p); });
};
Widget.prototype.retry = function (clientId) {
  var p = this.pending[clientId];
  if (!p) return;
  p.view.failed = null;
  renderMessage(p.row, p.view, this);
  p.row.classList.add("pending");
  this.enqueue(p);
};

Widget.prototype.deliver = function (p) {
  var self = this;
  var stored = new Promise(function (r) { p.stored = r; });
  (async function () {
    var s = self.session.data;
    try {
      if (p.files.length && !p.fileIds) {
        var ids = [];
        for (var i = 0; i < p.files.length; i++) {
          var f = await self.api.upload(s.conversation_id, p.files[i]);
          self.fileNames[f.id] = f.name || p.files[i].name;
          ids.push(f.id);
        }
        self.session.save({ files: self.fileNames });
        p.fileIds = p.view.attachments = ids;
      }
      var body = { message_id: p.view.clientId, text: p.view.text,
        // Origin and path only: a page's query string may carry tokens.
        metadata: { page_url: (location.origin + location.pathname).slice(0, 2048), locale: (navigator.language || "").slice(0, 35) } };
      if (s) body.conversation_id = s.conversation_id;
      else if (CONFIG.visitorId) body.visitor_id = String(CONFIG.visitorId);
      if (p.fileIds && p.fileIds.length) body.attachments = p.fileIds;
      if (!s) self.setTyping(true); // no stream yet to say so
      var res = await self.api.postMessage(body);
      if (!s && res.conversation_token) {
        self.session.save({ conversation_id: res.conversation_id, conversation_token: res.conversation_token });
        self.syncAttach();
        self.stream.start();
      }
      self.confirm(p, res.message_id);
    } catch (e) {
      if (!s) self.setTyping(false);
      if (self.pending[p.view.clientId] !== p) return; // the stream showed it stored
      p.view.failed = e.status === 429 ? "Too many messages; wait a moment." : e.message || "Not sent.";
      renderMessage(p.row, p.view, self);
      p.row.classList.add("failed");
    } finally {
      p.stored();
    }
  })();
  return stored;
};
// confirm marks a stored message sent; its row keeps its place at the end
// until the stream's event gives it its time.
Widget.prototype.confirm = function (p, serverId) {
  if (this.pending[p.view.clientId] !== p) return; // the stream adopted it
  delete this.pending[p.view.clientId];
  p.row.classList.remove("pending");
  if (!this.msgs[serverId]) this.msgs[serverId] = { row: p.row, view: p.view, ts: null };
};

Widget.prototype.onEvent = function (name, d, rev) {
  if (name === "message") this.upsert(d, rev);
  else if (name === "chunk") {
    var e = this.msgs[d.message_id];
    if (e && typeof d.delta === "string") {
      e.view.text = (e.view.text || "") + d.delta;
      appendDelta(e.row, d.delta);
      this.setTyping(false);
      this.scroll();
    }
  } else if (name === "typing") this.setTyping(!!d.active);
  else if (name === "reply") {
    this.replies[d.in_reply_to] = d;
    this.setTyping(false);
    this.renderQuick();
  }
  if (!this.panel.hidden && name !== "chunk") this.markSeen(); // not a storage write per chunk
};

Widget.prototype.upsert = function (d, rev) {
  if (!d || !d.id) return;
  var ts = Date.parse(d.created_at) || Date.now();
  var parent = d.in_reply_to && this.msgs[d.in_reply_to];
  if (parent && parent.ts !== null) ts = Math.max(ts, parent.ts + 0.001); // never above what it answers
  var e = this.msgs[d.id];
  var p = !e && d.sender === "visitor" && this.pending[d.client_message_id];
  if (p) {
    delete this.pending[d.client_message_id];
    e = { row: p.row };
    p.stored();
  }
  if (!e) e = { row: el("div") };
  e.view = d;
  e.ts = ts;
  e.row.sbTs = ts;
  this.msgs[d.id] = e;
  renderMessage(e.row, d, this);
  this.place(e.row);
  if (d.sender === "visitor") {
    if (!this.lastVisitor || ts >= this.lastVisitor.ts) this.lastVisitor = { id: d.id, ts: ts };
    this.renderQuick();
  } else {
    this.setTyping(false);
    var seen = +((this.session.data && this.session.data.seen) || 0);
    if (this.panel.hidden && rev > seen) {
      this.unread++;
      this.badge.textContent = String(this.unread);
      this.badge.hidden = false;
      this.launcher.setAttribute("aria-label", "Open chat (" + this.unread + " new)");
    }
  }
  this.scroll();
};
// place moves a row to its created_at position. Rows not yet seen on the
// stream (sbTs null) stay at the end in the order sent; a notice (no
// sbTs) is a fixed point nothing moves above.
Widget.prototype.place = function (row) {
  var kids = this.log.children, at = null;
  for (var i = kids.length - 1; i >= 0; i--) {
    var k = kids[i];
    if (k === row) continue;
    if (k.sbTs === undefined) break;
    if (k.sbTs === null || k.sbTs > row.sbTs) { at = k; continue; }
    break;
  }
  if (at) { if (row.nextSibling !== at) this.log.insertBefore(row, at); }
  else if (row.parentNode !== this.log || row !== this.log.lastElementChild) this.log.appendChild(row);
};

Widget.prototype.setTyping = function (on) {
  this.typing.hidden = !on;
  if (on) this.scroll();
};
// renderQuick shows the quick replies of the visitor's latest message,
// and none while one of theirs is still on its way.
Widget.prototype.renderQuick = function () {
  var self = this;
  var r = this.lastVisitor && this.replies[this.lastVisitor.id];
  var list = (r && Array.isArray(r.quick_replies) && r.quick_replies) || [];
  if (Object.keys(this.pending).length) list = [];
  this.quick.textContent = "";
  list.forEach(function (q) {
    if (!q || typeof q.label !== "string" || typeof q.value !== "string") return;
    self.quick.appendChild(el("button", { type: "button", class: "qr", text: q.label, on: { click: function () { self.sendText(q.value); } } }));
  });
  this.quick.hidden = !this.quick.children.length;
  if (r && r.action === "handoff" && !r.noted) {
    r.noted = true;
    this.notice("An agent will join the conversation.");
  }
};
Widget.prototype.notice = function (text) {
  this.log.appendChild(el("p", { class: "notice", text: text }));
  this.scroll();
};
Widget.prototype.scroll = function () {
  if (this.atBottom) this.log.scrollTop = this.log.scrollHeight;
};
Widget.prototype.onGone = function () {
  this.session.clear();
  this.syncAttach();
  this.setTyping(false);
  this.notice("This conversation is closed. Send a message to start a new one.");
};

function boot() {
  if (window.__switchboardWidget) return; // embedded twice
  if (!CONFIG.orgId || !CONFIG.apiKey) {
    console.warn("Switchboard widget: set window.SwitchboardConfig = {orgId, apiKey, visitorId} before loading widget.js");
    return;
  }
  var w = (window.__switchboardWidget = new Widget());
  window.Switchboard = { open: function () { w.open(); }, close: function () { w.close(); } };
}
if (document.body) boot();
else document.addEventListener("DOMContentLoaded", boot);
