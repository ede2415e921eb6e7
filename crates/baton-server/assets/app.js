// Baton web inbox: CSRF for htmx, live updates from the event log (SSE),
// keyboard shortcuts, searchable pickers and @mention completion. No build step.
(function () {
  "use strict";
  var meta = function (n) { var m = document.querySelector('meta[name="' + n + '"]'); return m ? m.content : ""; };
  var csrf = meta("csrf-token");
  var me = meta("me");
  var body = document.body;
  var page = body.dataset.page || "";
  var conversation = body.dataset.conversation || "";

  function toast(text) {
    var t = document.getElementById("toast");
    if (!t) return;
    t.textContent = text;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { t.textContent = ""; }, 4000);
  }

  function post(url, fields, ok) {
    var data = new URLSearchParams(fields || {});
    return fetch(url, { method: "POST", body: data, credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "HX-Request": "true" } }).then(function (r) {
      if (r.status === 401) { location.href = "/login"; return; }
      var redirect = r.headers.get("HX-Redirect");
      if (redirect) { location.href = redirect; return; }
      if (!r.ok) return r.json().then(function (j) { toast(j.error && j.error.message || "That did not work."); }, function () { toast("That did not work."); });
      if (ok) toast(ok);
      refresh();
    });
  }

  // --- htmx wiring ----------------------------------------------------------
  document.addEventListener("htmx:configRequest", function (e) { e.detail.headers["X-CSRF-Token"] = csrf; });
  // A form with data-error-slot shows its errors inline (and keeps what was typed).
  function errorSlot(elt) {
    var f = elt && elt.closest && elt.closest("[data-error-slot]");
    return f ? document.getElementById(f.dataset.errorSlot) : null;
  }
  document.addEventListener("htmx:responseError", function (e) {
    var x = e.detail.xhr, msg = "That did not work.";
    try { var j = JSON.parse(x.responseText); if (j.error) msg = j.error.message; } catch (_) {}
    var slot = errorSlot(e.detail.elt);
    if (slot) slot.textContent = msg; else toast(msg);
  });
  document.addEventListener("htmx:afterRequest", function (e) {
    var elt = e.detail.elt;
    if (e.detail.successful) { var slot = errorSlot(elt); if (slot) slot.textContent = ""; }
    if (e.detail.successful && elt && elt.matches && elt.matches("form[data-reset-on-success]")) {
      elt.reset();
      hideMentions();
    }
  });
  body.addEventListener("baton-refresh", function () { closeMenus(); refresh(); });

  // --- live regions ------------------------------------------------------------
  var refreshing = false, again = false, timer = null, fromEvent = false;
  // A polite live region: screen readers hear that the page changed, once.
  var note = document.createElement("p");
  note.id = "live-note"; note.className = "sr-only";
  note.setAttribute("aria-live", "polite"); note.setAttribute("role", "status");
  body.appendChild(note);
  function announce(text) { note.textContent = ""; setTimeout(function () { note.textContent = text; }, 30); }
  function schedule() { fromEvent = true; clearTimeout(timer); timer = setTimeout(refresh, 80); }
  function refresh() {
    if (refreshing) { again = true; return; }
    refreshing = true;
    fetch(location.href, { credentials: "same-origin", headers: { "X-Baton-Refresh": "1" } }).then(function (r) {
      if (r.status === 401 || (r.redirected && /\/login$/.test(r.url))) { location.href = "/login"; return null; }
      if (!r.ok) return null;
      return r.text();
    }).then(function (html) {
      if (html) swapRegions(new DOMParser().parseFromString(html, "text/html"));
    }).catch(function () {}).then(function () {
      refreshing = false;
      if (again) { again = false; schedule(); }
    });
  }
  function swapRegions(doc) {
    var changed = false, live = fromEvent;
    fromEvent = false;
    document.querySelectorAll("[data-live][id]").forEach(function (el) {
      var fresh = doc.getElementById(el.id);
      if (!fresh || fresh.innerHTML === el.innerHTML) return;
      // Do not yank a menu or picker from under the user; retry shortly.
      if (el.querySelector("details[open]")) { again = true; return; }
      var active = document.activeElement, key = null;
      if (active && el.contains(active)) key = focusKey(active);
      var keepBottom = el.hasAttribute("data-keep-bottom") && el.scrollHeight - el.scrollTop - el.clientHeight < 40;
      var scroll = el.scrollTop, selected = el.querySelector(".row.selected");
      var selectedId = selected && selected.dataset.id;
      // Keep what the user typed (and inline errors) across the swap.
      var kept = [];
      el.querySelectorAll("[data-preserve][id]").forEach(function (p) {
        if ("value" in p && p.tagName !== "P") { if (p.value !== p.defaultValue) kept.push([p.id, "value", p.value]); }
        else if (p.textContent) kept.push([p.id, "textContent", p.textContent]);
      });
      el.innerHTML = fresh.innerHTML;
      changed = true;
      kept.forEach(function (k) { var p = document.getElementById(k[0]); if (p) p[k[1]] = k[2]; });
      if (window.htmx) htmx.process(el);
      el.scrollTop = keepBottom ? el.scrollHeight : scroll;
      if (selectedId) { var s = el.querySelector('.row[data-id="' + selectedId + '"]'); if (s) s.classList.add("selected"); }
      if (key) { var f = el.querySelector(key); if (f) f.focus({ preventScroll: true }); }
    });
    if (changed && live) announce(page === "inbox" ? "The list was updated." : "This conversation was updated.");
    if (again) { again = false; setTimeout(refresh, 1500); }
  }
  function focusKey(el) {
    if (el.id) return "#" + CSS.escape(el.id);
    var row = el.closest(".row");
    if (row) return '.row[data-id="' + row.dataset.id + '"] .row-main';
    if (el.dataset.action) return '[data-action="' + el.dataset.action + '"]';
    return null;
  }

  // --- the event stream --------------------------------------------------------
  var KINDS = ["conversation.created", "conversation.assignee_changed", "conversation.agent_changed",
    "conversation.team_changed", "conversation.taken_over", "conversation.status_changed",
    "conversation.priority_changed", "conversation.tags_changed", "conversation.transferred",
    "conversation.read", "conversation.marked_unread", "conversation.mentioned", "conversation.routed",
    "agent_session.started", "agent_session.ended", "message.created", "user.updated",
    "team.created", "team.member_added", "team.member_removed", "agent.created", "agent.updated",
    "channel.created", "user.created", "routing_rule.changed"];
  var lastSeq = null, source = null;
  // Events that may have notified someone: the header counter asks again.
  var BELL = { "conversation.assignee_changed": 1, "conversation.team_changed": 1, "conversation.mentioned": 1,
    "message.created": 1, "agent_session.ended": 1 };
  function onEvent(e) {
    if (e.lastEventId) lastSeq = e.lastEventId;
    var ev; try { ev = JSON.parse(e.data); } catch (_) { return; }
    if (BELL[ev.kind]) body.dispatchEvent(new CustomEvent("baton-bell"));
    if (page === "notifications" && BELL[ev.kind]) schedule();
    if (ev.kind === "user.updated" && ev.data && ev.data.user_id === me && ev.after && ev.after.active === false) {
      location.href = "/login"; return;
    }
    if (page === "inbox" && ev.conversation_id) schedule();
    else if ((page === "conversation" || page === "timeline") && ev.conversation_id === conversation) schedule();
    else if (page === "admin" && !ev.conversation_id) schedule();
    else if (ev.kind === "user.updated" || ev.kind.indexOf("team.") === 0 || ev.kind.indexOf("agent.") === 0) { if (page !== "inbox" || ev.kind.indexOf("team.") === 0) schedule(); }
  }
  function connect() {
    if (!window.EventSource || !page || page === "login") return;
    // A new EventSource after an error resumes from the last seq seen, so
    // nothing is lost (the browser's own retries send Last-Event-ID).
    source = new EventSource("/api/v1/events" + (lastSeq ? "?after=" + encodeURIComponent(lastSeq) : ""));
    KINDS.forEach(function (k) { source.addEventListener(k, onEvent); });
    source.addEventListener("open", function () { body.dataset.live = "on"; });
    source.addEventListener("error", function () {
      if (source.readyState !== EventSource.CLOSED) return;
      body.dataset.live = "off";
      fetch("/api/v1/me", { credentials: "same-origin" }).then(function (r) {
        if (r.status === 401) location.href = "/login";
        else setTimeout(connect, 1000);
      }, function () { setTimeout(connect, 2000); });
    });
  }
  connect();

  // --- menus and pickers ---------------------------------------------------------
  function closeMenus(except) {
    document.querySelectorAll("details.picker[open], details.menu[open]").forEach(function (d) { if (d !== except) d.open = false; });
  }
  document.addEventListener("toggle", function (e) {
    var d = e.target;
    if (!(d instanceof HTMLDetailsElement) || !d.open) return;
    closeMenus(d);
    var s = d.querySelector(".picker-search");
    if (s) { s.value = ""; filter(s); s.focus(); }
  }, true);
  document.addEventListener("click", function (e) {
    if (!e.target.closest("details.picker, details.menu")) closeMenus();
    // "Use draft": the AI's proposal goes into the composer to edit and send.
    var use = e.target.closest("[data-use-draft]");
    if (use) {
      var text = use.closest(".draft").querySelector(".draft-text");
      var box = document.getElementById("composer-body");
      if (text && box) { box.value = text.textContent; box.focus(); }
    }
  });
  function filter(input) {
    var q = input.value.trim().toLowerCase();
    input.closest(".picker-panel").querySelectorAll(".picker-list button[data-label]").forEach(function (b) {
      b.parentElement.hidden = q !== "" && b.dataset.label.indexOf(q) === -1;
    });
  }
  document.addEventListener("input", function (e) {
    if (e.target.matches(".picker-search")) filter(e.target);
    if (e.target.id === "composer-body") mentions(e.target);
    var slot = errorSlot(e.target);
    if (slot) slot.textContent = "";
  });
  document.addEventListener("change", function (e) {
    if (e.target.matches("select[data-autosubmit]")) e.target.form.requestSubmit();
    if (e.target.id === "availability") {
      var dot = document.querySelector(".availability .dot");
      if (dot) dot.className = "dot dot-" + e.target.value;
    }
  });

  // --- @mention completion --------------------------------------------------------
  var people = [];
  try { people = JSON.parse((document.getElementById("mention-users") || {}).textContent || "[]"); } catch (_) {}
  var list = document.getElementById("mention-list"), picked = 0, matches = [];
  function hideMentions() { if (list) { list.hidden = true; list.innerHTML = ""; } matches = []; }
  function mentionQuery(t) {
    var before = t.value.slice(0, t.selectionStart), m = /(^|\s)@([\w.-]*)$/.exec(before);
    return m ? m[2].toLowerCase() : null;
  }
  function mentions(t) {
    var q = mentionQuery(t);
    if (q === null || !list) return hideMentions();
    matches = people.filter(function (p) { return p.handle.toLowerCase().indexOf(q) === 0 || p.name.toLowerCase().indexOf(q) !== -1; }).slice(0, 6);
    if (!matches.length) return hideMentions();
    picked = 0;
    list.innerHTML = "";
    matches.forEach(function (p, i) {
      var li = document.createElement("li");
      li.setAttribute("role", "option"); li.id = "mention-" + i;
      li.textContent = "@" + p.handle + " — " + p.name;
      li.addEventListener("mousedown", function (ev) { ev.preventDefault(); insertMention(t, p.handle); });
      list.appendChild(li);
    });
    mark(t); list.hidden = false;
  }
  function mark(t) {
    Array.prototype.forEach.call(list.children, function (li, i) { li.setAttribute("aria-selected", i === picked ? "true" : "false"); });
    t.setAttribute("aria-activedescendant", "mention-" + picked);
  }
  function insertMention(t, handle) {
    var pos = t.selectionStart, before = t.value.slice(0, pos), after = t.value.slice(pos);
    before = before.replace(/@([\w.-]*)$/, "@" + handle + " ");
    t.value = before + after; t.selectionStart = t.selectionEnd = before.length; t.focus();
    hideMentions();
  }

  // --- keyboard ------------------------------------------------------------------
  function typing(el) { return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName)); }
  function rows() { return Array.prototype.slice.call(document.querySelectorAll(".rows .row")); }
  function select(i) {
    var rs = rows(); if (!rs.length) return;
    i = Math.max(0, Math.min(rs.length - 1, i));
    rs.forEach(function (r) { r.classList.remove("selected"); });
    rs[i].classList.add("selected");
    rs[i].querySelector(".row-main").focus();
    rs[i].scrollIntoView({ block: "nearest" });
  }
  function current() { var rs = rows(); for (var i = 0; i < rs.length; i++) if (rs[i].classList.contains("selected")) return i; return -1; }
  // The inbox remembers its order so j/k on a conversation page go to the next one.
  if (page === "inbox") {
    try { sessionStorage.setItem("baton-list", JSON.stringify(rows().map(function (r) { return r.dataset.id; }))); } catch (_) {}
  }
  function neighbour(step) {
    var ids = []; try { ids = JSON.parse(sessionStorage.getItem("baton-list") || "[]"); } catch (_) {}
    var i = ids.indexOf(conversation);
    return i >= 0 ? ids[i + step] : undefined;
  }
  var SHORTCUTS = [["j / k", "Next / previous conversation"], ["Enter", "Open the selected conversation"],
    ["a", "Assign to me"], ["c", "Close"], ["?", "Show this help"], ["Esc", "Close menus and this help"]];
  function help() {
    var d = document.getElementById("shortcuts");
    if (!d) {
      d = document.createElement("dialog");
      d.id = "shortcuts"; d.className = "shortcuts"; d.setAttribute("aria-labelledby", "shortcuts-title");
      var h = document.createElement("h2"); h.id = "shortcuts-title"; h.textContent = "Keyboard shortcuts"; d.appendChild(h);
      var dl = document.createElement("dl");
      SHORTCUTS.forEach(function (s) {
        var dt = document.createElement("dt"), k = document.createElement("kbd"), dd = document.createElement("dd");
        k.textContent = s[0]; dt.appendChild(k); dd.textContent = s[1]; dl.appendChild(dt); dl.appendChild(dd);
      });
      d.appendChild(dl);
      var b = document.createElement("button"); b.type = "button"; b.textContent = "Close";
      b.addEventListener("click", function () { d.close(); }); d.appendChild(b);
      body.appendChild(d);
    }
    if (d.open) d.close(); else d.showModal();
  }
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (t.id === "composer-body") {
      if (matches.length && !list.hidden) {
        if (e.key === "ArrowDown") { picked = (picked + 1) % matches.length; mark(t); e.preventDefault(); return; }
        if (e.key === "ArrowUp") { picked = (picked + matches.length - 1) % matches.length; mark(t); e.preventDefault(); return; }
        if (e.key === "Enter" || e.key === "Tab") { insertMention(t, matches[picked].handle); e.preventDefault(); return; }
        if (e.key === "Escape") { hideMentions(); return; }
      }
      return;
    }
    if (e.key === "Escape") { closeMenus(); return; }
    if (typing(t) || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "?") { help(); e.preventDefault(); return; }
    if (document.querySelector("dialog[open]")) return;
    var canAssign = !!document.querySelector('[data-can-assign="true"]') || !!document.querySelector('[data-action="close"],[data-action="reopen"]');
    if (page === "inbox") {
      var i = current();
      if (e.key === "j") { select(i + 1); e.preventDefault(); }
      else if (e.key === "k") { select(i < 0 ? 0 : i - 1); e.preventDefault(); }
      else if (e.key === "Enter" && i >= 0 && !t.closest(".row")) { location.href = "/c/" + rows()[i].dataset.id; }
      else if ((e.key === "a" || e.key === "c" || e.key === "e") && i >= 0 && canAssign) {
        var id = rows()[i].dataset.id;
        if (e.key === "a") { post("/c/" + id + "/assignee", { user_id: me }, "Assigned to you."); }
        else post("/c/" + id + "/status", { status: "closed" }, "Closed.");
        e.preventDefault();
      }
    } else if (page === "conversation") {
      if (e.key === "j" || e.key === "k") {
        var next = neighbour(e.key === "j" ? 1 : -1);
        if (next) location.href = "/c/" + next; else toast(e.key === "j" ? "No next conversation." : "No previous conversation.");
        e.preventDefault();
      } else if (!canAssign) {
        return;
      } else if (e.key === "a" && document.querySelector('[data-picker="assignee"]')) { post("/c/" + conversation + "/assignee", { user_id: me }, "Assigned to you."); e.preventDefault(); }
      else if ((e.key === "c" || e.key === "e") && document.querySelector('[data-action="close"]')) { post("/c/" + conversation + "/status", { status: "closed" }, "Closed."); e.preventDefault(); }
    }
  });
  document.addEventListener("focusin", function (e) {
    var row = e.target.closest && e.target.closest(".rows .row");
    if (row) { rows().forEach(function (r) { r.classList.toggle("selected", r === row); }); }
  });

  // Start a conversation scrolled to its newest message.
  var msgs = document.getElementById("messages");
  if (msgs) msgs.scrollTop = msgs.scrollHeight;
})();
