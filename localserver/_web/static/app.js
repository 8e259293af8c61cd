// localserver web page. It reads only the JSON API under /api/ and builds every
// piece of text with textContent: nothing that arrived is ever parsed as HTML.
"use strict";
(() => {
  const NAMES = { mail: "messages", request: "requests" };
  const LABELS = { messages: "Mail", requests: "Requests" };
  const SEARCH_HINTS = { messages: "Recipient or subject", requests: "Method or path" };
  const PAGE = 50;
  const state = { collections: [], collection: null, offset: 0, query: "", total: 0, open: null, counts: {} };
  const $ = (id) => document.getElementById(id);
  let listToken = 0;
  let refreshing = null;
  let refreshAgain = false;

  // el("a", {href: "#x", text: "y"}, child...): attributes as text, children as nodes or text.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = String(value);
      else if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child !== null && child !== undefined && child !== false) node.append(child);
    }
    return node;
  }

  function size(bytes) {
    if (bytes === null || bytes === undefined) return "–";
    if (bytes < 1000) return `${bytes} B`;
    if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`;
    return `${(bytes / 1e6).toFixed(1)} MB`;
  }

  function when(iso, full) {
    const date = new Date(iso);
    const today = date.toDateString() === new Date().toDateString();
    const text = full || !today ? date.toLocaleString() : date.toLocaleTimeString();
    return el("time", { datetime: iso, title: date.toLocaleString(), text });
  }

  async function getJSON(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (!response.ok) throw Object.assign(new Error(`${url}: ${response.status}`), { status: response.status });
    return response.json();
  }

  // -- the list ------------------------------------------------------------------------

  function mailRow(item) {
    const named = [...item.to, ...item.cc];
    const hidden = item.bcc.filter((address) => !named.includes(address));
    const flags = [
      item.tls && el("span", { class: "badge", text: `TLS ${item.tls}` }),
      item.auth_user && el("span", { class: "badge", text: `AUTH ${item.auth_user}` }),
      item.attachment_count > 0 && el("span", { class: "badge", text: `${item.attachment_count} attached` }),
    ];
    return [
      el("span", { class: "line" }, el("span", { class: "main", text: item.from || "(no sender)" }), when(item.received_at)),
      el("span", { class: "line" }, el("span", { class: "sub", text: item.subject ?? "(no subject)" })),
      el("span", { class: "line" },
        el("span", { class: "sub" }, `To: ${(named.length ? named : item.rcpt_tos).join(", ") || "–"}`),
        el("span", { class: "flags" },
          hidden.length ? el("span", { class: "badge bcc", text: `Bcc ${hidden.length}` }) : null, size(item.size))),
      flags.some(Boolean) ? el("span", { class: "line" }, el("span", { class: "sub" }, flags)) : null,
    ];
  }

  function requestRow(item) {
    const status = item.status === null ? "–" : String(item.status);
    return [
      el("span", { class: "line" },
        el("span", { class: "main" }, el("span", { class: "badge", text: item.method }), item.target),
        when(item.received_at)),
      el("span", { class: "line" },
        el("span", { class: "sub" }, el("span", { class: `badge s${status[0]}`, text: status }),
          item.client_cert_subject ? el("span", { class: "badge", text: "client cert" }) : null),
        el("span", { class: "sub", text: `${size(item.size)} in, ${size(item.response_size)} out` })),
    ];
  }

  async function loadList() {
    const token = ++listToken;
    const params = new URLSearchParams({ offset: state.offset, limit: PAGE });
    if (state.query) params.set("q", state.query);
    const page = await getJSON(`/api/${state.collection}?${params}`);
    if (token !== listToken) return;
    if (page.items.length === 0 && state.offset > 0) {
      state.offset = Math.max(0, state.offset - PAGE);
      return loadList();
    }
    state.total = page.total;
    const focused = document.activeElement && document.activeElement.dataset.id;
    const rows = page.items.map((item) => el("li", {},
      el("a", {
        class: "row", href: `#${state.collection}/${item.id}`, "data-id": item.id,
        "aria-current": item.id === state.open ? "true" : null,
      }, state.collection === "messages" ? mailRow(item) : requestRow(item))));
    $("list").replaceChildren(...rows);
    if (focused) {
      const again = $("list").querySelector(`[data-id="${Number(focused)}"]`);
      if (again) again.focus();
    }
    $("empty").hidden = page.items.length > 0;
    const last = Math.min(state.offset + page.items.length, page.total);
    $("count").textContent = page.total
      ? `${state.offset + 1}–${last} of ${page.total}${state.query ? " found" : ""}`
      : state.query ? "Nothing found" : "";
    $("newer").disabled = state.offset === 0;
    $("older").disabled = last >= page.total;
    $("delete-all").disabled = page.total === 0 && !state.query;
  }

  function renderTabs() {
    $("tabs").replaceChildren(...state.collections.map((name) => el("a", {
      href: `#${name}`, "aria-current": name === state.collection ? "page" : null,
    }, `${LABELS[name]} `, el("span", { class: "badge", text: state.counts[name] ?? 0 }))));
  }

  // Reads counts and the list again; calls during a refresh coalesce into one more.
  async function refresh() {
    if (refreshing) { refreshAgain = true; return refreshing; }
    refreshing = (async () => {
      do {
        refreshAgain = false;
        try {
          const info = await getJSON("/api/info");
          state.counts = info.counts;
          renderTabs();
          if (state.collection) await loadList();
        } catch (error) {
          setLive(false, "Cannot reach the server");
        }
      } while (refreshAgain);
      refreshing = null;
    })();
    return refreshing;
  }

  // -- details -------------------------------------------------------------------------

  function fields(rows) {
    return el("dl", { class: "fields" }, rows.filter((row) => row && row[1] !== null && row[1] !== undefined && row[1] !== "")
      .map(([name, value]) => [el("dt", { text: name }), el("dd", {}, value)]));
  }

  function table(pairs, empty) {
    if (!pairs || pairs.length === 0) return el("p", { class: "note", text: empty });
    return el("table", {}, el("tbody", {}, pairs.map(([name, value]) =>
      el("tr", {}, el("th", { scope: "row", text: name }), el("td", { text: value })))));
  }

  function downloads(parts) {
    return el("ul", { class: "files" }, parts.map((part) => el("li", {},
      el("a", { href: part.url, download: part.filename, text: part.filename }),
      ` (${part.content_type}, ${size(part.size)})`, part.field ? ` from field “${part.field}”` : null)));
  }

  function deleteButton(detail) {
    return el("button", {
      type: "button", class: "danger", text: "Delete",
      onclick: async () => {
        await fetch(detail.url, { method: "DELETE" });
        location.hash = `#${state.collection}`;
      },
    });
  }

  // Buttons that each show one panel, for the parts of a mail.
  function views(choices) {
    const panel = el("div", { class: "view" });
    const buttons = choices.map(([label, build]) => el("button", {
      type: "button", text: label, "aria-pressed": "false",
      onclick: (event) => {
        for (const other of buttons) other.setAttribute("aria-pressed", String(other === event.currentTarget));
        panel.replaceChildren(build());
      },
    }));
    if (buttons.length) buttons[0].click();
    return [el("div", { class: "views", role: "group", "aria-label": "Show" }, buttons), panel];
  }

  function htmlView(mail) {
    const frame = el("iframe", {
      class: "html-part", sandbox: "", referrerpolicy: "no-referrer", src: mail.html_url,
      title: "HTML part of the mail (scripts and remote content blocked)",
    });
    const note = el("p", { class: "note", text: "Scripts never run here. Remote images are blocked." });
    const allow = el("button", {
      type: "button", text: "Allow remote images",
      onclick: () => {
        frame.src = `${mail.html_url}?images=1`;
        allow.disabled = true;
        note.textContent = "Remote images are shown: loading them tells their server the mail was opened.";
      },
    });
    return el("div", {}, el("div", { class: "actions" }, allow, note), frame);
  }

  function rawView(url) {
    const pre = el("pre", { text: "Loading…" });
    fetch(url).then((response) => response.text()).then((text) => { pre.textContent = text; },
      () => { pre.textContent = "Could not load the source."; });
    return pre;
  }

  function recipients(list, bcc) {
    return list.length ? list.map((address, i) => [i ? ", " : "", address,
      bcc && bcc.includes(address) ? [" ", el("span", { class: "badge bcc", text: "Bcc" })] : null]) : null;
  }

  function renderMail(mail) {
    const named = [...mail.to, ...mail.cc];
    const hidden = mail.bcc.filter((address) => !named.includes(address));
    const parts = [];
    if (mail.text !== null) parts.push(["Text", () => el("pre", { text: mail.text })]);
    if (mail.has_html) parts.push(["HTML", () => htmlView(mail)]);
    parts.push(["Headers", () => table(mail.headers, "No headers.")]);
    parts.push(["Source", () => rawView(mail.raw_url)]);
    return [
      el("h2", { tabindex: "-1", text: mail.subject ?? "(no subject)" }),
      fields([
        ["From", mail.from],
        ["To", recipients(mail.to)],
        ["Cc", recipients(mail.cc)],
        ["Bcc", recipients(hidden, hidden)],
        ["Envelope", `MAIL FROM <${mail.mail_from}> RCPT TO ${mail.rcpt_tos.map((r) => `<${r}>`).join(" ")}`],
        ["Date", mail.date],
        ["Received", when(mail.received_at, true)],
        ["Size", size(mail.size)],
        ["TLS", mail.tls || "no"],
        ["AUTH", mail.auth_user || "no"],
        ["Client", mail.peer[0] ? `${mail.peer.join(":")} (HELO ${mail.helo || "–"})` : null],
      ]),
      el("div", { class: "actions" }, deleteButton(mail),
        el("a", { href: `${mail.raw_url}?download=1`, download: `message-${mail.id}.eml`, text: "Download .eml" })),
      views(parts),
      mail.attachments.length ? [el("h3", { text: "Attachments" }), downloads(mail.attachments)] : null,
    ];
  }

  function bodyView(body, downloadUrl, empty) {
    if (!body) return el("p", { class: "note", text: "Streamed to the client, not kept." });
    if (body.stored === false) return el("p", { class: "note", text: "Not kept (store_request_data=False)." });
    if (body.size === 0) return el("p", { class: "note", text: empty });
    if (body.json !== null) return el("pre", { class: "json", text: body.json });
    if (body.text !== null) {
      return [el("pre", { text: body.text }), body.truncated ? el("p", { class: "note", text: "Cut at 1 MiB." }) : null];
    }
    return el("p", { class: "note" }, `${size(body.size)} of binary data. `,
      downloadUrl ? el("a", { href: downloadUrl, download: "", text: "Download" }) : null);
  }

  function renderRequest(req) {
    const curl = el("pre", { class: "curl", text: req.curl });
    const copied = el("span", { class: "note", role: "status" });
    const response = req.response;
    return [
      el("h2", { tabindex: "-1", text: `${req.method} ${req.target}` }),
      fields([
        ["URL", req.request_url],
        ["Status", response ? response.status_line : "no response (the connection was cut)"],
        ["Received", when(req.received_at, true)],
        ["Client", `${req.remote_addr} (connection ${req.connection_id}, ${req.http_version})`],
        ["Client certificate", req.client_cert_subject],
        ["Body", size(req.size)],
      ]),
      el("div", { class: "actions" },
        el("button", {
          type: "button", text: "Copy as curl",
          onclick: async () => {
            try {
              await navigator.clipboard.writeText(req.curl);
              copied.textContent = "Copied.";
            } catch (error) {
              const range = document.createRange();
              range.selectNodeContents(curl);
              getSelection().removeAllRanges();
              getSelection().addRange(range);
              copied.textContent = "Selected below: press Ctrl+C (⌘C) to copy.";
            }
          },
        }), deleteButton(req), copied),
      el("h3", { text: "Query" }), table(req.query, "No query string."),
      el("h3", { text: "Body" }), bodyView(req.body, req.body_url, "No body."),
      req.form.length ? [el("h3", { text: "Form fields" }), table(req.form, "")] : null,
      req.files.length ? [el("h3", { text: "Files" }), downloads(req.files)] : null,
      el("h3", { text: "Headers" }), table(req.headers, "No headers."),
      el("h3", { text: "Cookies" }), table(req.cookies, "No cookies."),
      el("h3", { text: "Response" }),
      response ? [el("p", { text: response.status_line }), table(response.headers, "No headers."),
        bodyView(response.body, null, "Empty body.")] : el("p", { class: "note", text: "None was sent." }),
      el("h3", { text: "As curl" }), curl,
    ];
  }

  async function openItem(id, focus) {
    const pane = $("detail");
    state.open = id;
    for (const row of $("list").querySelectorAll(".row")) {
      row.setAttribute("aria-current", String(Number(row.dataset.id) === id));
    }
    document.body.classList.toggle("showing-detail", id !== null);
    const back = el("a", { class: "back", href: `#${state.collection}`, text: "← Back to the list" });
    if (id === null) {
      pane.replaceChildren(el("p", { class: "placeholder", text: "Choose an item of the list to see it here." }));
      return;
    }
    let detail;
    try {
      detail = await getJSON(`/api/${state.collection}/${id}`);
    } catch (error) {
      pane.replaceChildren(back, el("p", { class: "note", text: error.status === 404 ? "This item was deleted." : String(error) }));
      return;
    }
    if (state.open !== id) return;
    const content = state.collection === "messages" ? renderMail(detail) : renderRequest(detail);
    pane.replaceChildren(back, el("div", { class: "content" }, content));
    if (focus) pane.querySelector("h2").focus();
  }

  // -- navigation ----------------------------------------------------------------------

  async function route() {
    const match = /^#(messages|requests)(?:\/(\d+))?$/.exec(location.hash);
    if (!match && state.collection) return; // an in-page link such as "Skip to the list"
    const collection = match && state.collections.includes(match[1]) ? match[1] : state.collections[0];
    const id = match && match[2] ? Number(match[2]) : null;
    const previous = state.open;
    if (collection !== state.collection) {
      state.collection = collection;
      state.offset = 0;
      state.query = "";
      $("q").value = "";
      $("q").placeholder = SEARCH_HINTS[collection];
      $("list-title").textContent = LABELS[collection];
      renderTabs();
      await loadList();
    }
    await openItem(id, id !== null);
    if (id === null && previous !== null) {
      const row = $("list").querySelector(`[data-id="${previous}"]`);
      if (row) row.focus();
    }
  }

  function onListKey(event) {
    const rows = [...$("list").querySelectorAll(".row")];
    const at = rows.indexOf(document.activeElement);
    const moves = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: rows.length - 1 };
    if (!(event.key in moves) || rows.length === 0) return;
    event.preventDefault();
    rows[Math.max(0, Math.min(rows.length - 1, at < 0 ? 0 : moves[event.key]))].focus();
  }

  function setLive(on, text) {
    const live = $("live");
    live.textContent = text;
    live.className = `live ${on ? "on" : "off"}`;
  }

  function connect() {
    const events = new EventSource("/api/events");
    events.addEventListener("hello", () => { setLive(true, "Live"); refresh(); });
    for (const name of ["added", "deleted", "cleared", "reset"]) {
      events.addEventListener(name, (event) => {
        const change = JSON.parse(event.data);
        const gone = (name === "deleted" && change.id === state.open) || name === "cleared" || name === "reset";
        if (gone && state.open !== null && NAMES[change.kind] === state.collection) openItem(state.open, false);
        refresh();
      });
    }
    events.addEventListener("error", () => setLive(false, "Disconnected, retrying…"));
  }

  async function start() {
    const info = await getJSON("/api/info");
    state.collections = info.collections.map((collection) => collection.name);
    state.counts = info.counts;
    document.title = `localserver: ${state.collections.map((name) => LABELS[name]).join(" and ")}`;
    let timer = null;
    $("search").addEventListener("submit", (event) => event.preventDefault());
    $("q").addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => { state.query = $("q").value.trim(); state.offset = 0; loadList(); }, 200);
    });
    $("newer").addEventListener("click", () => { state.offset = Math.max(0, state.offset - PAGE); loadList(); });
    $("older").addEventListener("click", () => { state.offset += PAGE; loadList(); });
    $("delete-all").addEventListener("click", async () => {
      if (!confirm(`Delete all ${state.total} ${LABELS[state.collection].toLowerCase()}?`)) return;
      await fetch(`/api/${state.collection}`, { method: "DELETE" });
      location.hash = `#${state.collection}`;
    });
    $("list").addEventListener("keydown", onListKey);
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && state.open !== null) location.hash = `#${state.collection}`;
    });
    window.addEventListener("hashchange", route);
    await route();
    connect();
  }

  start().catch((error) => setLive(false, `Cannot start: ${error.message}`));
})();
