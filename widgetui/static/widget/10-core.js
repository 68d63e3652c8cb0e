// Transport: configuration, the conversation kept in localStorage, the
// widget API with retries, and the event stream read with fetch (an
// EventSource cannot send the key and token headers) and parsed here.

var CONFIG = window.SwitchboardConfig || {};
// currentScript exists only while this file first runs: read it now.
var SCRIPT = document.currentScript;
var CSS = "__SWITCHBOARD_WIDGET_CSS__";

var API_BASE = (function () {
  if (CONFIG.apiBase) return String(CONFIG.apiBase).replace(/\/+$/, "");
  try {
    return new URL(SCRIPT.src, location.href).origin;
  } catch (e) {
    return location.origin;
  }
})();
var API_ORIGIN = (function () {
  try { return new URL(API_BASE, location.href).origin; } catch (e) { return location.origin; }
})();

// newId is a client message ID: a retry of the same message reuses it, so
// the platform stores and relays it once. randomUUID needs a secure
// context; plain-http pages get the same format from getRandomValues.
function newId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  var b = new Uint8Array(16);
  crypto.getRandomValues(b);
  b[6] = (b[6] & 15) | 64;
  b[8] = (b[8] & 63) | 128;
  var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
  return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
}

function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

// Session is the open conversation, one per org and browser. It is kept
// only for the visitor who opened it: another signed-in user on the same
// browser starts their own conversation.
function Session(orgId, visitorId) {
  this.key = "switchboard:conversation:" + orgId;
  this.visitorId = visitorId || "";
  this.data = null;
  try {
    var s = JSON.parse(localStorage.getItem(this.key) || "null");
    if (s && s.conversation_id && s.conversation_token && (s.visitor_id || "") === this.visitorId) this.data = s;
  } catch (e) { /* storage blocked or corrupt: start fresh */ }
}
Session.prototype.save = function (patch) {
  this.data = Object.assign({ visitor_id: this.visitorId }, this.data || {}, patch);
  try { localStorage.setItem(this.key, JSON.stringify(this.data)); } catch (e) { /* private mode: this page only */ }
};
Session.prototype.clear = function () {
  this.data = null;
  try { localStorage.removeItem(this.key); } catch (e) { /* ignore */ }
};

// ApiError is a refused request; retryable ones never surface as this.
function ApiError(status, body) {
  var e = (body && body.error) || {};
  this.status = status;
  this.code = e.code || "http_" + status;
  this.message = e.message || "request failed (" + status + ")";
}

function retryable(status) { return status === 408 || status === 429 || status >= 500; }

// retryAfter is the wait a 429/503 asks for, else an exponential backoff.
function retryWait(res, attempt) {
  var s = res && parseInt(res.headers.get("Retry-After"), 10);
  if (s > 0) return Math.min(s, 30) * 1000;
  return Math.min(500 * Math.pow(2, attempt), 8000) * (0.75 + Math.random() / 2);
}

function Api(session) {
  this.session = session;
}
Api.prototype.headers = function () {
  var h = { "X-Switchboard-Org": String(CONFIG.orgId || ""), "X-Switchboard-Key": String(CONFIG.apiKey || "") };
  var s = this.session.data;
  if (s) h["X-Switchboard-Conversation-Token"] = s.conversation_token;
  return h;
};
// send posts with retries on network errors, 408, 429 and 5xx: every call
// here is safe to repeat (messages carry their client ID).
Api.prototype.send = async function (method, path, body, json) {
  for (var attempt = 0; ; attempt++) {
    var headers = this.headers(), res = null;
    if (json) headers["Content-Type"] = "application/json";
    try {
      res = await fetch(API_BASE + path, { method: method, headers: headers, body: body, credentials: "omit", mode: "cors" });
    } catch (e) {
      if (attempt >= 5) throw new ApiError(0, { error: { code: "network", message: "cannot reach the chat service" } });
    }
    if (res && !retryable(res.status)) {
      var data = null;
      try { data = await res.json(); } catch (e) { /* empty or not JSON */ }
      if (!res.ok) throw new ApiError(res.status, data);
      return data;
    }
    if (res && attempt >= 5) throw new ApiError(res.status, null);
    await sleep(retryWait(res, attempt));
  }
};
Api.prototype.postMessage = function (msg) {
  return this.send("POST", "/v1/widget/messages", JSON.stringify(msg), true);
};
Api.prototype.upload = function (conversationId, file) {
  var fd = new FormData();
  fd.append("conversation_id", conversationId);
  fd.append("file", file, file.name);
  return this.send("POST", "/v1/widget/files", fd, false);
};

// sseParser feeds text in arbitrary pieces and calls onEvent for each
// complete event, following the EventSource parsing rules.
function sseParser(onEvent) {
  var buf = "", data = [], name = "", id = null, skipLF = false;
  return function (text) {
    buf += text;
    for (;;) {
      // A \r that ended the last piece may be half of a \r\n.
      if (skipLF && buf) {
        if (buf[0] === "\n") buf = buf.slice(1);
        skipLF = false;
      }
      var i = buf.search(/[\r\n]/);
      if (i < 0) return;
      var line = buf.slice(0, i);
      var crlf = buf[i] === "\r" && buf[i + 1] === "\n";
      skipLF = buf[i] === "\r" && i === buf.length - 1;
      buf = buf.slice(i + (crlf ? 2 : 1));
      if (line === "") {
        if (data.length) onEvent({ id: id, event: name || "message", data: data.join("\n") });
        data = [];
        name = "";
        continue;
      }
      if (line[0] === ":") continue; // a comment: "connected", keepalive
      var c = line.indexOf(":");
      var field = c < 0 ? line : line.slice(0, c);
      var value = c < 0 ? "" : line.slice(c + 1).replace(/^ /, "");
      if (field === "data") data.push(value);
      else if (field === "event") name = value;
      else if (field === "id" && value.indexOf("\0") < 0) id = value;
    }
  };
}

// EventStream reads the conversation's events and reconnects with
// ?after=<last event id>: the ids are conversation revisions, so nothing
// is missed or repeated across reconnects. The first connection asks for
// after=0, which replays the whole conversation (history on reload).
function EventStream(api, handlers) {
  this.api = api;
  this.h = handlers; // event(name, data, id), state(s), gone()
  this.lastId = "0";
  this.ctrl = null;
  this.wake = null;
  this.running = false;
  var self = this;
  // Coming back online or to the tab: retry now, not after the backoff.
  var poke = function () { if (self.wake) self.wake(); };
  window.addEventListener("online", poke);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) poke(); });
}
EventStream.prototype.start = function () {
  if (this.running) return;
  this.running = true;
  this.loop();
};
EventStream.prototype.stop = function () {
  this.running = false;
  if (this.ctrl) this.ctrl.abort();
  if (this.wake) this.wake();
};
EventStream.prototype.pause = function (ms) {
  var self = this;
  return new Promise(function (resolve) {
    var t = setTimeout(done, ms);
    function done() { clearTimeout(t); self.wake = null; resolve(); }
    self.wake = done;
  });
};
EventStream.prototype.loop = async function () {
  var backoff = 1000;
  while (this.running) {
    var s = this.api.session.data;
    if (!s) break;
    var ctrl = (this.ctrl = new AbortController()), res = null, wait = 0;
    this.got = false;
    try {
      res = await fetch(API_BASE + "/v1/widget/conversations/" + encodeURIComponent(s.conversation_id) +
        "/events?after=" + encodeURIComponent(this.lastId),
        { headers: this.api.headers(), signal: ctrl.signal, cache: "no-store", credentials: "omit", mode: "cors" });
      if (res.status === 403 || res.status === 404) {
        // The token no longer opens this conversation: forget it.
        this.running = false;
        this.h.gone();
        return;
      }
      if (!res.ok || !res.body) throw new Error("HTTP " + res.status);
      this.h.state("live");
      await this.read(res.body, ctrl);
    } catch (e) {
      if (res && (res.status === 429 || res.status === 503)) wait = retryWait(res, 0);
    }
    if (!this.running) break;
    if (this.got) backoff = 1000; // it worked for a while: retry soon
    this.h.state("reconnecting");
    await this.pause(wait || backoff * (0.75 + Math.random() / 2));
    backoff = Math.min(backoff * 2, 15000);
  }
  this.running = false;
};
// read consumes one response; the server comments every 15 s, so 45 s of
// silence means a dead connection (a sleeping laptop, a dropped proxy).
EventStream.prototype.read = async function (body, ctrl) {
  var self = this, dec = new TextDecoder(), timer = null;
  var parse = sseParser(function (ev) {
    var data;
    try { data = JSON.parse(ev.data); } catch (e) { return; }
    self.h.event(ev.event, data, ev.id);
    if (ev.id) self.lastId = ev.id;
  });
  var arm = function () {
    clearTimeout(timer);
    timer = setTimeout(function () { ctrl.abort(); }, 45000);
  };
  var reader = body.getReader();
  try {
    for (;;) {
      arm();
      var r = await reader.read();
      if (r.done) break;
      self.got = true;
      parse(dec.decode(r.value, { stream: true }));
    }
  } finally {
    clearTimeout(timer);
  }
};
