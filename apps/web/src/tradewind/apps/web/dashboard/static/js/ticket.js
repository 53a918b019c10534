// Order ticket: side, symbol, type, qty, limit/stop price, TIF. The answer is shown inline: a risk
// rejection with its reason and rule, a validation error on the offending field, or the accepted order.
import { api, ApiError, newClientOrderId } from "./api.js";
import { dec, fmt, times } from "./decimal.js";

const NEEDS = { market: [], limit: ["limit"], stop: ["stop"], stop_limit: ["limit", "stop"] };
const FIELD_INPUT = { qty: "qty", limit_price: "limit_price", stop_price: "stop_price", symbol: "symbol",
  type: "type", time_in_force: "time_in_force", side: null };

export class OrderTicket {
  constructor(form, { quoteOf, onPlaced }) {
    this.form = form;
    this.quoteOf = quoteOf;
    this.onPlaced = onPlaced;
    this.side = "buy";
    this.pendingKey = null; // same client_order_id while one submission is in flight (no double orders)
    this.submit = form.querySelector('[data-testid="ticket-submit"]');
    this.message = form.querySelector('[data-testid="ticket-message"]');
    this.estimate = form.querySelector('[data-testid="ticket-estimate"]');
    form.querySelectorAll("[data-side]").forEach((b) => b.addEventListener("click", () => this.setSide(b.dataset.side)));
    form.elements.type.addEventListener("change", () => this.refresh());
    form.addEventListener("input", () => this.refresh());
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.place();
    });
    this.refresh();
  }

  get symbol() {
    return this.form.elements.symbol.value;
  }

  setSymbol(symbol) {
    this.form.elements.symbol.value = symbol;
    this.refresh();
  }

  setSide(side) {
    this.side = side;
    this.form.querySelectorAll("[data-side]").forEach((b) => b.classList.toggle("on", b.dataset.side === side));
    this.refresh();
  }

  refresh() {
    this.pendingKey = null; // an edited ticket is a new order (the key only guards a retry of the same one)
    const f = this.form.elements;
    const needs = NEEDS[f.type.value] || [];
    for (const label of this.form.querySelectorAll("label.price")) {
      const on = needs.includes(label.dataset.for);
      label.querySelector("input").disabled = !on;
    }
    this.submit.className = `btn submit ${this.side}`;
    this.submit.textContent = `${this.side === "buy" ? "Buy" : "Sell"} ${f.qty.value || ""} ${f.symbol.value}`.replace(/\s+/g, " ");
    this.paintEstimate();
  }

  paintEstimate() {
    const f = this.form.elements;
    const q = this.quoteOf(f.symbol.value);
    const qty = /^\d+$/.test(f.qty.value.trim()) ? f.qty.value.trim() : null;
    const price = !f.limit_price.disabled && dec(f.limit_price.value) !== null
      ? dec(f.limit_price.value)
      : q ? dec(this.side === "buy" ? q.ask : q.bid) : null;
    this.estimate.textContent = qty && price !== null ? `≈ ${fmt(times(price, qty))} notional` : "\u00a0";
  }

  body() {
    const f = this.form.elements;
    const qty = f.qty.value.trim();
    const body = {
      symbol: f.symbol.value,
      side: this.side,
      qty: /^\d+$/.test(qty) ? Number(qty) : qty, // anything else goes as typed: the server names the field
      type: f.type.value,
      time_in_force: f.time_in_force.value,
      client_order_id: this.pendingKey,
    };
    if (!f.limit_price.disabled) body.limit_price = f.limit_price.value.trim() || null;
    if (!f.stop_price.disabled) body.stop_price = f.stop_price.value.trim() || null;
    return body;
  }

  say(kind, text, detail = "") {
    this.message.className = `ticket-msg ${kind}`;
    this.message.dataset.kind = kind;
    this.message.textContent = text;
    if (detail) this.message.append(Object.assign(document.createElement("span"), { className: "rule", textContent: detail }));
  }

  async place() {
    this.form.querySelectorAll(".invalid").forEach((n) => n.classList.remove("invalid"));
    this.pendingKey = this.pendingKey || newClientOrderId();
    this.submit.disabled = true;
    this.say("sending", "Sending…");
    try {
      const order = await api("POST", "/api/v1/orders", this.body());
      this.pendingKey = null;
      const price = order.limit_price ? ` @ ${order.limit_price}` : "";
      this.say("accepted", `Accepted: ${order.side.toUpperCase()} ${order.qty} ${order.symbol} ${order.type}${price}`, `status ${order.status} · id ${order.id.slice(0, 8)}`);
      this.onPlaced(order);
    } catch (err) {
      if (!(err instanceof ApiError) || (err.status >= 500 && err.status !== 503)) {
        this.say("rejected", "Not sent: the server could not be reached. Try again.", String(err.message || err));
        return; // keep pendingKey: a retry of the same ticket cannot become a second order
      }
      this.pendingKey = null;
      const b = err.body;
      if (b.error === "risk_rejected") {
        this.say("rejected", `Rejected by risk: ${b.detail}`, b.rule ? `rule: ${b.rule}` : "");
      } else if (b.error === "risk_unavailable") {
        this.say("rejected", `Not sent: risk check unavailable (${b.detail}).`, "nothing was placed; retry in a moment");
      } else if (err.status === 429) {
        this.say("rejected", "Too many orders: slow down a moment.", b.detail || "");
      } else {
        const input = b.field && FIELD_INPUT[b.field] ? this.form.elements[FIELD_INPUT[b.field]] : null;
        if (input) input.classList.add("invalid");
        this.say("rejected", `Rejected: ${b.detail || err.message}`, b.field ? `field: ${b.field}` : "");
      }
    } finally {
      this.submit.disabled = false;
    }
  }
}
