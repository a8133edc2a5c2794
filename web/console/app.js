/*
 * kinship console: screens over kinship's own API. The key lives in this
 * tab's sessionStorage and goes out as Basic credentials; the console keeps
 * no state of its own on the server. Every failed call shows the API's own
 * error words (type, message, field, requestId).
 */
"use strict";

const KEY = "kinship.console.key";
const SVG = "http://www.w3.org/2000/svg";
const ORG_PAGE = 25;        /* members per page on an organization's page */
const TREE_PAGE = 8;        /* members drawn per organization before "more" */
const TREE_DEPTH_UP = 8;    /* owners walked above the customer */
const TREE_DEPTH_DOWN = 2;  /* levels drawn below it (▸: more below, select to walk) */
const TREE_BUDGET = 60;     /* API calls one drawing may make */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const $ = (id) => document.getElementById(id);

/* ---- the API ---- */

class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || "HTTP " + status);
    this.status = status;
    this.type = e.type || "HTTP " + status;
    this.field = e.field || null;
    this.requestId = e.requestId || null;
  }
}

async function api(method, path, body) {
  const key = sessionStorage.getItem(KEY) || "";
  const headers = { "Authorization": "Basic " + btoa(key), "Accept": "application/json" };
  const init = { method, headers, cache: "no-store", credentials: "omit" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, { error: { type: "NetworkError", message: "the server did not answer" } });
  }
  let json = null;
  try { json = await res.json(); } catch (e) { json = null; }
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}

/* ---- messages ---- */

function clearError() {
  $("error").hidden = true;
  $("error").textContent = "";
}

function showError(e) {
  const box = $("error");
  box.textContent = "";
  if (e instanceof ApiError) {
    const t = document.createElement("code");
    t.className = "error-type";
    t.textContent = e.type;
    box.append(t, " " + e.message);
    if (e.field) box.append(" (field: " + e.field + ")");
    if (e.requestId) box.append("\nrequest " + e.requestId);
  } else {
    box.textContent = String(e && e.message ? e.message : e);
  }
  box.hidden = false;
}

/* ---- small DOM helpers ---- */

function el(tag, props, ...kids) {
  const n = document.createElement(tag);
  Object.assign(n, props || {});
  for (const k of kids) if (k !== null && k !== undefined) n.append(k);
  return n;
}

function link(text, hash) {
  return el("a", { href: hash, textContent: text });
}

function show(view) {
  for (const v of document.querySelectorAll(".view")) v.hidden = v.id !== "view-" + view;
  $("nav").hidden = view === "login";
}

/* ---- routing: #/search, #/customer/ID, #/org/ID ---- */

async function route() {
  clearError();
  if (!sessionStorage.getItem(KEY)) {
    show("login");
    $("login-key").focus();
    return;
  }
  const parts = location.hash.replace(/^#\/?/, "").split("/");
  try {
    if (parts[0] === "customer" && parts[1]) await customerPage(decodeURIComponent(parts[1]));
    else if (parts[0] === "org" && parts[1]) await orgPage(decodeURIComponent(parts[1]), 0);
    else { show("search"); }
  } catch (e) {
    showError(e);
  }
  $("main").focus({ preventScroll: true });
}

/* ---- sign in ---- */

async function login(ev) {
  ev.preventDefault();
  clearError();
  const key = $("login-key").value.trim();
  sessionStorage.setItem(KEY, key);
  try {
    await api("GET", "/customers?limit=1");
  } catch (e) {
    sessionStorage.removeItem(KEY);
    showError(e);
    return;
  }
  $("login-key").value = "";
  if (!location.hash || location.hash === "#/login") location.hash = "#/search";
  else route();
}

function logout() {
  sessionStorage.removeItem(KEY);
  location.hash = "#/login";
  route();
}

/* ---- find customers ---- */

const search = { query: null, cursor: null, back: [] };

function customerItem(c) {
  const sub = [c.id];
  if (c.email) sub.push(c.email);
  if (c.address && c.address.town) sub.push(c.address.town + ", " + c.address.country);
  return el("li", null, link(c.legalName, "#/customer/" + c.id),
    el("span", { className: "sub", textContent: sub.join(" · ") }));
}

async function runSearch(cursor) {
  clearError();
  const q = search.query;
  const list = $("search-results");
  list.textContent = "";
  $("search-count").textContent = "Searching…";
  try {
    if (q.alias) {
      /* An alias names one customer: its own route answers it. */
      const c = await api("GET", "/customers/by-alias/" + encodeURIComponent(q.alias));
      list.append(customerItem(c));
      $("search-count").textContent = "1 customer with this alias";
      $("search-prev").disabled = $("search-next").disabled = true;
      return;
    }
    const p = new URLSearchParams({ limit: "25", sortBy: "legalName", sortOrder: "ASC" });
    if (q.legalName) p.set("legalName", q.legalName);
    if (q.email) p.set("email", q.email);
    if (cursor) p.set("after", cursor);
    const page = await api("GET", "/customers?" + p);
    for (const c of page.items) list.append(customerItem(c));
    const total = page.pagination && page.pagination.totalResultSize;
    $("search-count").textContent = (total !== undefined ? total : page.items.length) + " customers";
    search.cursor = cursor;
    search.next = page.pagination && page.pagination.after;
    $("search-next").disabled = !search.next;
    $("search-prev").disabled = search.back.length === 0;
  } catch (e) {
    $("search-count").textContent = "";
    showError(e);
  }
}

function submitSearch(ev) {
  ev.preventDefault();
  const f = new FormData($("search-form"));
  search.query = { legalName: f.get("legalName").trim(), email: f.get("email").trim(),
    alias: f.get("alias").trim() };
  search.back = [];
  runSearch(null);
}

/* ---- a customer ---- */

function fmtAddress(a) {
  if (!a) return "";
  return [a.line1, a.line2, a.town, a.state, a.postcode, a.country].filter(Boolean).join(", ");
}

async function customerPage(id) {
  const c = await api("GET", "/customers/" + encodeURIComponent(id));
  show("customer");
  $("customer-title").textContent = c.legalName;
  const dl = $("customer-details");
  dl.textContent = "";
  const rows = [["Id", c.id], ["Created", c.createdAt], ["Status", c.status || "ACTIVE"],
    ["Tax status", c.taxStatus], ["Address", fmtAddress(c.address)], ["Label", c.label],
    ["URL", c.url], ["Archived", c.archivedAt]];
  for (const [k, v] of rows) if (v) dl.append(el("dt", { textContent: k }), el("dd", { textContent: v }));

  const memberOf = $("customer-member-of");
  memberOf.textContent = "";
  for (const o of c.organizations || [])
    memberOf.append(el("li", null, link("Organization of " + o.owner.name, "#/org/" + o.id),
      " (" + o.members.length + " members)"));
  if (!memberOf.children.length) memberOf.append(el("li", { className: "muted", textContent: "none" }));

  const [contacts, aliases, owned] = await Promise.all([
    api("GET", "/customers/" + encodeURIComponent(id) + "/contacts"),
    api("GET", "/customers/" + encodeURIComponent(id) + "/aliases"),
    api("GET", "/customer-organizations?ownerId=" + encodeURIComponent(id)),
  ]);
  const cl = $("customer-contacts");
  cl.textContent = "";
  for (const k of contacts.items)
    cl.append(el("li", null, (k.name || "(no name)") + " — " + (k.email || "no email") +
      " — " + k.billingPreference));
  if (!cl.children.length) cl.append(el("li", { className: "muted", textContent: "none" }));
  const al = $("customer-aliases");
  al.textContent = "";
  for (const a of aliases.items) al.append(el("li", null, el("code", { textContent: a.value })));
  if (!al.children.length) al.append(el("li", { className: "muted", textContent: "none" }));

  const owns = $("customer-owns");
  owns.textContent = "";
  if (owned.items.length) {
    const o = owned.items[0];
    owns.append(link("Its organization", "#/org/" + o.id), " (" + o.members.length + " members)");
  } else {
    const b = el("button", { type: "button", className: "quiet", id: "create-org",
      textContent: "Create an organization it owns" });
    b.addEventListener("click", async () => {
      clearError();
      try {
        const o = await api("POST", "/customer-organizations", { ownerId: c.id, memberIds: [] });
        location.hash = "#/org/" + o.id;
      } catch (e) { showError(e); }
    });
    owns.append(el("p", { className: "muted", textContent: "none" }), b);
  }
  await drawTree(c);
}

/* ---- the hierarchy ---- */

/*
 * The API has no tree read (yet): the drawing walks it. Up: the owners of
 * the organizations a customer is a member of (?memberId=), level by level.
 * Down: the organization a customer owns (?ownerId=), its members a page at
 * a time. Every walk stops at its depth or at TREE_BUDGET calls.
 */
const tree = { focus: null, pages: new Map(), budget: 0, cut: false };

async function orgsOf(param, id) {
  if (tree.budget <= 0) { tree.cut = true; return []; }
  tree.budget--;
  const page = await api("GET", "/customer-organizations?" + param + "=" + encodeURIComponent(id) + "&limit=100");
  return page.items;
}

async function walkUp(id, depth, seen) {
  if (depth >= TREE_DEPTH_UP || seen.has(id)) return [];
  seen.add(id);
  const orgs = await orgsOf("memberId", id);
  const parents = [];
  for (const o of orgs)
    parents.push({ id: o.owner.id, name: o.owner.name, org: o.id,
      parents: await walkUp(o.owner.id, depth + 1, seen) });
  return parents;
}

async function walkDown(node, depth) {
  if (depth >= TREE_DEPTH_DOWN) { node.unknown = true; return; }
  const orgs = await orgsOf("ownerId", node.id);
  if (!orgs.length) return;
  const o = orgs[0];
  const start = tree.pages.get(o.id) || 0;
  node.org = o.id;
  node.total = o.members.length;
  node.start = start;
  node.children = o.members.slice(start, start + TREE_PAGE).map((m) => ({ id: m.id, name: m.name }));
  for (const ch of node.children) await walkDown(ch, depth + 1);
}

const NODE_W = 168, NODE_H = 34, GAP_X = 14, GAP_Y = 58;

function label(s) {
  return s.length > 24 ? s.slice(0, 23) + "…" : s;
}

/* Leaves get consecutive slots; a node sits above the middle of its children. */
function layoutDown(node, depth, slot, out) {
  const kids = node.children || [];
  const items = kids.slice();
  if (node.org && node.total > TREE_PAGE) items.push({ more: true, org: node.org, start: node.start, total: node.total });
  if (!items.length) {
    node.x = slot.n++;
  } else {
    for (const k of items) {
      if (k.more) { k.x = slot.n++; k.depth = depth + 1; out.push(k); }
      else layoutDown(k, depth + 1, slot, out);
    }
    node.x = (items[0].x + items[items.length - 1].x) / 2;
  }
  node.depth = depth;
  node.items = items;
  out.push(node);
}

function svgEl(tag, attrs, parent) {
  const n = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
  if (parent) parent.append(n);
  return n;
}

function drawNode(g, x, y, text, cls, title, action) {
  const n = svgEl("g", { class: "node " + cls, tabindex: "0", role: "button",
    "aria-label": title, transform: `translate(${x},${y})` }, g);
  svgEl("rect", { width: NODE_W, height: NODE_H, rx: 6 }, n);
  const t = svgEl("text", { x: 10, y: 21 }, n);
  t.textContent = text;
  svgEl("title", {}, n).textContent = title;
  n.addEventListener("click", action);
  n.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); action(); }
  });
  return n;
}

async function drawTree(c, keepPages) {
  if (!keepPages || tree.focus !== c.id) tree.pages = new Map();
  tree.focus = c.id;
  tree.budget = TREE_BUDGET;
  tree.cut = false;
  $("tree-status").textContent = "Drawing…";
  const root = { id: c.id, name: c.legalName };
  const parents = await walkUp(c.id, 0, new Set());
  await walkDown(root, 0);

  /* Below: the tree from the customer. Above: owners, one row per level. */
  const nodes = [];
  const slot = { n: 0 };
  layoutDown(root, 0, slot, nodes);
  const rows = [];
  (function collect(list, level) {
    for (const p of list) {
      (rows[level] = rows[level] || []).push(p);
      collect(p.parents, level + 1);
    }
  })(parents, 0);
  const width = Math.max(slot.n, ...rows.map((r) => r.length), 1);
  const up = rows.length;
  const downDepth = Math.max(...nodes.map((n) => n.depth));
  const W = width * (NODE_W + GAP_X) + GAP_X;
  const H = (up + downDepth + 1) * (NODE_H + GAP_Y) + GAP_Y / 2;
  const svg = $("tree");
  svg.textContent = "";
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("width", W);
  svg.setAttribute("height", H);
  const edges = svgEl("g", {}, svg);
  const g = svgEl("g", {}, svg);
  const px = (x) => GAP_X + x * (NODE_W + GAP_X);
  const py = (d) => GAP_Y / 2 + (up + d) * (NODE_H + GAP_Y);
  const line = (x1, y1, x2, y2) => svgEl("path", { class: "edge",
    d: `M${x1},${y1} C${x1},${(y1 + y2) / 2} ${x2},${(y1 + y2) / 2} ${x2},${y2}` }, edges);

  const go = (id) => () => { location.hash = "#/customer/" + id; };
  const offset = (width - slot.n) / 2;
  for (const n of nodes) {
    const x = px(n.x + offset), y = py(n.depth);
    for (const k of n.items || [])
      line(x + NODE_W / 2, y + NODE_H, px(k.x + offset) + NODE_W / 2, py(k.depth));
    if (n.more) {
      const pages = Math.ceil(n.total / TREE_PAGE), page = Math.floor(n.start / TREE_PAGE);
      const next = (page + 1) % pages;
      drawNode(g, x, y, `${n.total - TREE_PAGE} more · page ${page + 1}/${pages}`, "more",
        `Show members ${next * TREE_PAGE + 1} to ${Math.min(n.total, (next + 1) * TREE_PAGE)} of ${n.total}`,
        () => { tree.pages.set(n.org, next * TREE_PAGE); drawTree(c, true).catch(showError); });
    } else {
      const isFocus = n === root;
      drawNode(g, x, y, label(n.name) + (n.unknown ? " ▸" : ""), isFocus ? "focus" : "member",
        n.name + (isFocus ? " (this customer)" : ""), isFocus ? () => {} : go(n.id));
    }
  }
  /* Owners: each row centred; each owner joined to the row below. */
  const rootCx = px(root.x + offset) + NODE_W / 2;
  let below = null; /* the row drawn before; null: the customer itself */
  rows.forEach((row, level) => {
    const start = (width - row.length) / 2;
    const placed = row.map((p, i) => {
      const x = px(start + i), y = py(-level - 1);
      drawNode(g, x, y, label(p.name), "owner", p.name + " (owner, " + (level + 1) + " up)", go(p.id));
      return { p, cx: x + NODE_W / 2 };
    });
    for (const pl of placed) {
      if (!below) line(pl.cx, py(-1) + NODE_H, rootCx, py(0));
      else for (const b of below)
        if (b.p.parents.includes(pl.p)) line(pl.cx, py(-level - 1) + NODE_H, b.cx, py(-level));
    }
    below = placed;
  });
  /* The customer in the middle of the view. */
  const wrap = svg.parentElement;
  wrap.scrollLeft = Math.max(0, rootCx - wrap.clientWidth / 2);
  const count = nodes.filter((n) => !n.more).length + rows.reduce((s, r) => s + r.length, 0);
  $("tree-status").textContent = `${count} customers drawn` + (tree.cut ? " (stopped at the call budget)" : "");
}

/* ---- an organization ---- */

const orgState = { id: null, page: 0, org: null };

function renderMembers() {
  const o = orgState.org;
  const body = $("org-members");
  body.textContent = "";
  const pages = Math.max(1, Math.ceil(o.members.length / ORG_PAGE));
  if (orgState.page >= pages) orgState.page = pages - 1;
  const first = orgState.page * ORG_PAGE;
  o.members.slice(first, first + ORG_PAGE).forEach((m, i) => {
    const rm = el("button", { type: "button", className: "quiet", textContent: "Remove" });
    rm.setAttribute("aria-label", "Remove " + m.name);
    rm.addEventListener("click", () => removeMember(m));
    body.append(el("tr", null, el("td", { textContent: String(first + i + 1) }),
      el("td", null, link(m.name, "#/customer/" + m.id)), el("td", { className: "id", textContent: m.id }),
      el("td", null, rm)));
  });
  $("org-count").textContent = o.members.length + " members";
  $("org-page").textContent = `page ${orgState.page + 1} of ${pages}`;
  $("org-prev").disabled = orgState.page === 0;
  $("org-next").disabled = orgState.page + 1 >= pages;
}

async function orgPage(id, page) {
  const o = await api("GET", "/customer-organizations/" + encodeURIComponent(id));
  show("org");
  if (orgState.id !== id) orgState.page = page;
  orgState.id = id;
  orgState.org = o;
  $("org-title").textContent = "Organization of " + o.owner.name;
  $("org-owner").textContent = o.owner.name;
  $("org-owner").href = "#/customer/" + o.owner.id;
  renderMembers();
}

async function resolveIds(text) {
  const ids = [];
  for (const t of text.split(/[\s,]+/).filter(Boolean)) {
    if (UUID.test(t)) ids.push(t);
    else ids.push((await api("GET", "/customers/by-alias/" + encodeURIComponent(t))).id);
  }
  return ids;
}

async function addMembers(ev) {
  ev.preventDefault();
  clearError();
  try {
    const ids = await resolveIds($("add-ids").value);
    const o = await api("POST", "/customer-organizations/" + encodeURIComponent(orgState.id) + "/members",
      { customerIds: ids });
    orgState.org = o;
    orgState.page = Math.floor((o.members.length - 1) / ORG_PAGE);
    $("add-ids").value = "";
    renderMembers();
  } catch (e) {
    showError(e);
  }
}

async function removeMember(m) {
  clearError();
  try {
    const o = await api("DELETE", "/customer-organizations/" + encodeURIComponent(orgState.id) +
      "/members/" + encodeURIComponent(m.id));
    orgState.org = o;
    renderMembers();
  } catch (e) {
    showError(e);
  }
}

/* ---- start ---- */

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", login);
  $("logout").addEventListener("click", logout);
  $("search-form").addEventListener("submit", submitSearch);
  $("search-next").addEventListener("click", () => {
    search.back.push(search.cursor);
    runSearch(search.next);
  });
  $("search-prev").addEventListener("click", () => runSearch(search.back.pop() || null));
  $("add-form").addEventListener("submit", addMembers);
  $("org-prev").addEventListener("click", () => { orgState.page--; renderMembers(); });
  $("org-next").addEventListener("click", () => { orgState.page++; renderMembers(); });
  window.addEventListener("hashchange", route);
  route();
});
