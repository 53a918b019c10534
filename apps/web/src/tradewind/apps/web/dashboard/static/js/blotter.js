// Orders blotter: open and recent orders, live status, cancel and amend in the row.
// Orders arrive from three places (the REST snapshot, the ticket's own response, SSE events) in
// any order; a row only ever moves forward (newer updated_at, or more filled), never back.
import { api, ApiError } from "./api.js";
import { fmtPrice } from "./decimal.js";

const OPEN = new Set(["pending", "accepted", "partially_filled", "pending_cancel", "pending_replace", "unknown"]);
const CANCELABLE = new Set(["pending", "accepted", "partially_filled", "pending_replace", "unknown"]);
const AMENDABLE = new Set(["accepted", "partially_filled"]);
const KEEP = 300;

const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  for (const child of children) node.append(child);
  return node;
};
const time = (iso) => (iso ? iso.slice(11, 19) : "");

function newer(incoming, current) {
  if (!current) return true;
  if (incoming.updated_at !== current.updated_at) return incoming.updated_at > current.updated_at;
  return (incoming.filled_qty ?? 0) >= (current.filled_qty ?? 0);
}

export class Blotter {
  constructor(root) {
    this.root = root;
    this.body = root.querySelector("tbody");
    this.note = root.closest(".panel").querySelector('[data-testid="blotter-note"]');
    this.orders = new Map();
    this.filter = "open";
    this.editing = null; // order id whose amend inputs are open
    this.draft = null; // what was typed into them, kept across redraws
    this.available = true;
    root.closest(".panel").querySelectorAll("[data-filter]").forEach((button) =>
      button.addEventListener("click", () => {
        this.filter = button.dataset.filter;
        button.parentElement.querySelectorAll("button").forEach((b) => b.classList.toggle("on", b === button));
        this.render();
      }),
    );
  }

  async load() {
    try {
      const orders = await api("GET", "/api/v1/orders?status=all&limit=200");
      for (const order of orders) this.upsert(order, { quiet: true });
      this.available = true;
    } catch (err) {
      this.available = false;
      this.note.textContent = `Orders unavailable: ${err.message}`;
    }
    this.render();
  }

  upsert(order, { quiet = false } = {}) {
    const current = this.orders.get(order.id);
    if (!newer(order, current)) return;
    this.orders.set(order.id, { ...current, ...order });
    if (this.orders.size > KEEP) {
      const oldest = [...this.orders.values()].sort((a, b) => (a.created_at < b.created_at ? -1 : 1))[0];
      this.orders.delete(oldest.id);
    }
    this.render(quiet ? null : order.id);
  }

  /** A fill lands before (or without) its order event: show the progress at once. */
  applyFill(fill) {
    const order = this.orders.get(fill.order_id);
    if (!order || (order.filled_qty ?? 0) >= fill.cum_qty) return;
    this.orders.set(order.id, { ...order, filled_qty: fill.cum_qty, filled_avg_price: fill.avg_price });
    this.render(order.id);
  }

  rows() {
    const all = [...this.orders.values()].sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
    return this.filter === "open" ? all.filter((o) => OPEN.has(o.status)) : all;
  }

  render(changedId = null) {
    if (this.editing) {
      // keep what the trader is typing when a live update redraws the table
      const q = this.body.querySelector('[data-testid="amend-qty"]');
      const l = this.body.querySelector('[data-testid="amend-limit"]');
      if (q) this.draft = { qty: q.value, limit: l ? l.value : "" };
    } else {
      this.draft = null;
    }
    const rows = this.rows();
    this.body.replaceChildren(...rows.map((o) => this.row(o, o.id === changedId)));
    if (this.available) {
      this.note.textContent = this.filter === "open" ? "No open orders." : "No orders yet.";
    }
    this.note.hidden = rows.length > 0;
  }

  row(o, changed) {
    const tr = el("tr", { className: changed ? "just-changed" : "" });
    tr.dataset.orderId = o.id;
    tr.dataset.status = o.status;
    tr.dataset.symbol = o.symbol;
    const prices = [o.limit_price && fmtPrice(o.limit_price), o.stop_price && `stop ${fmtPrice(o.stop_price)}`]
      .filter(Boolean)
      .join(" / ");
    const status = el("td", {}, el("span", { className: `status ${o.status}`, textContent: o.status.replaceAll("_", " ") }));
    if (o.reason) status.append(" ", el("span", { className: "reason", textContent: o.reason }));
    tr.append(
      el("td", { textContent: time(o.created_at) }),
      el("td", { className: "sym", textContent: o.symbol }),
      el("td", { className: `side-${o.side}`, textContent: o.side.toUpperCase() }),
      el("td", { textContent: o.type.replaceAll("_", " ") }),
      el("td", { className: "num", textContent: String(o.qty) }),
      el("td", { className: "num", textContent: String(o.filled_qty ?? 0) }),
      el("td", { className: "num", textContent: prices || "—" }),
      el("td", { className: "num", textContent: o.filled_avg_price ? fmtPrice(o.filled_avg_price) : "—" }),
      el("td", { textContent: (o.time_in_force || "").toUpperCase() }),
      status,
      this.actions(o),
    );
    return tr;
  }

  actions(o) {
    const td = el("td", { className: "actions" });
    if (this.editing === o.id && AMENDABLE.has(o.status)) {
      const qty = el("input", { value: this.draft?.qty ?? String(o.qty), title: "Quantity", inputMode: "numeric" });
      qty.dataset.testid = "amend-qty";
      const limit = el("input", {
        value: this.draft?.limit ?? o.limit_price ?? "",
        title: "Limit price",
        inputMode: "decimal",
      });
      limit.dataset.testid = "amend-limit";
      limit.disabled = !o.limit_price;
      const save = el("button", { type: "button", className: "btn mini", textContent: "Save" });
      save.dataset.testid = "amend-save";
      save.addEventListener("click", () => this.amend(o, qty.value.trim(), limit.disabled ? "" : limit.value.trim()));
      const esc = el("button", { type: "button", className: "btn mini ghost", textContent: "×", title: "Keep as is" });
      esc.addEventListener("click", () => {
        this.editing = null;
        this.render();
      });
      td.append(qty, " ", limit, " ", save, esc);
      return td;
    }
    if (AMENDABLE.has(o.status)) {
      const amend = el("button", { type: "button", className: "btn mini", textContent: "Amend" });
      amend.dataset.testid = "amend";
      amend.addEventListener("click", () => {
        this.editing = o.id;
        this.draft = null;
        this.render();
      });
      td.append(amend);
    }
    if (CANCELABLE.has(o.status)) {
      const cancel = el("button", { type: "button", className: "btn mini danger", textContent: "Cancel" });
      cancel.dataset.testid = "cancel";
      cancel.addEventListener("click", () => this.cancel(o, cancel));
      td.append(cancel);
    }
    return td;
  }

  /** Show "pending_cancel"/"pending_replace" from the request's answer, unless the stream has
   * already moved the order on meanwhile (the event can beat the HTTP answer to the page; a stale
   * answer written over it would leave the row stuck in a pending state). */
  showPending(id, before, status) {
    const now = this.orders.get(id);
    if (now && now.updated_at === before.updated_at && now.status === before.status) {
      this.orders.set(id, { ...now, status });
    }
    this.render(id);
  }

  async cancel(o, button) {
    button.disabled = true;
    const before = this.orders.get(o.id) ?? o;
    try {
      const answer = await api("DELETE", `/api/v1/orders/${o.id}`);
      this.showPending(o.id, before, answer.status);
    } catch (err) {
      this.flashError(o.id, err);
    }
  }

  async amend(o, qty, limitPrice) {
    const body = {};
    if (qty && qty !== String(o.qty)) body.qty = /^\d+$/.test(qty) ? Number(qty) : qty;
    if (limitPrice && limitPrice !== o.limit_price) body.limit_price = limitPrice;
    this.editing = null;
    if (Object.keys(body).length === 0) return this.render();
    const before = this.orders.get(o.id) ?? o;
    try {
      const answer = await api("PATCH", `/api/v1/orders/${o.id}`, body);
      this.showPending(o.id, before, answer.status);
    } catch (err) {
      this.flashError(o.id, err);
    }
  }

  flashError(orderId, err) {
    const order = this.orders.get(orderId);
    if (!order) return;
    const detail = err instanceof ApiError ? `${err.body.error || err.status}: ${err.message}` : String(err);
    this.orders.set(orderId, { ...order, reason: detail });
    this.render(orderId);
  }
}
