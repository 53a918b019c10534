// Positions (unrealized and realized P&L) and the account strip (cash, equity, buying power).
//
// Snapshots come from GET /api/v1/positions and /api/v1/account, changes from SSE `position`
// events (and a re-read after each fill, in case this server does not send them). Between those,
// every quote re-marks the positions it touches, so P&L and equity tick with the market:
// market value = qty x last, unrealized = (last - avg entry) x qty, equity = cash + sum of market
// values (DESIGN: "equity is cash plus positions marked at the last price").
import { api, isMissing } from "./api.js";
import { add, dec, fmt, fmtPrice, sub, times } from "./decimal.js";
import { flash } from "./watchlist.js";

const el = (tag, props = {}) => Object.assign(document.createElement(tag), props);
const tone = (v) => (v === null ? "num" : v > 0n ? "num up" : v < 0n ? "num down" : "num");

export class Portfolio {
  constructor(positionsTable, accountStrip, { quoteOf, positionsNote, accountNote }) {
    this.body = positionsTable.querySelector("tbody");
    this.strip = accountStrip;
    this.quoteOf = quoteOf;
    this.positionsNote = positionsNote;
    this.accountNote = accountNote;
    this.positions = new Map(); // symbol -> position resource
    this.account = null;
    this.reloadTimer = null;
  }

  async load() {
    await Promise.all([this.loadPositions(), this.loadAccount()]);
  }

  async loadPositions() {
    try {
      const rows = await api("GET", "/api/v1/positions");
      this.positions = new Map(rows.map((p) => [p.symbol, p]));
      this.positionsAvailable = true;
    } catch (err) {
      this.positionsAvailable = false;
      this.positionsNote.textContent = isMissing(err)
        ? "Positions unavailable on this server (no /api/v1/positions yet)."
        : `Positions unavailable: ${err.message}`;
    }
    this.renderPositions();
  }

  async loadAccount() {
    try {
      this.account = await api("GET", "/api/v1/account");
      this.accountNote.hidden = true;
    } catch (err) {
      this.account = null;
      this.accountNote.textContent = isMissing(err) ? "Account figures unavailable on this server." : `Account unavailable: ${err.message}`;
      this.accountNote.hidden = false;
    }
    this.renderAccount();
  }

  /** After an order event or a fill: re-read both soon, whether or not `position` events follow
   * (cash, buying power and reservations move too). At most one re-read per 300 ms, however busy. */
  reloadSoon() {
    if (this.reloadTimer) return;
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = null;
      this.load();
    }, 300);
  }

  onPosition(p) {
    const current = this.positions.get(p.symbol);
    if (current && p.version !== undefined && current.version !== undefined && p.version < current.version) return;
    if (Number(p.qty) === 0) this.positions.delete(p.symbol); // flat: its realized P&L stays in the account strip
    else this.positions.set(p.symbol, { ...current, ...p });
    this.positionsAvailable = true;
    this.renderPositions(p.symbol);
    this.reloadSoon(); // cash and buying power moved too
  }

  onQuote(q) {
    if (!this.positions.has(q.symbol)) return;
    this.paintRow(q.symbol);
    this.renderAccount();
  }

  marked(p) {
    const q = this.quoteOf(p.symbol);
    const qty = BigInt(p.qty);
    if (!q || qty === 0n) {
      return { value: dec(p.market_value), unrealized: dec(p.unrealized_pl), stale: Boolean(p.stale) };
    }
    const last = dec(q.last);
    return { value: times(last, qty), unrealized: times(sub(last, dec(p.avg_entry_price)), qty), stale: Boolean(q.stale) };
  }

  renderPositions(changed = null) {
    const rows = [...this.positions.values()]
      .filter((p) => Number(p.qty) !== 0)
      .sort((a, b) => (a.symbol < b.symbol ? -1 : 1));
    this.body.replaceChildren(
      ...rows.map((p) => {
        const tr = el("tr");
        tr.dataset.symbol = p.symbol;
        tr.dataset.qty = String(p.qty);
        for (const col of ["symbol", "qty", "avg", "value", "unrealized", "realized"]) {
          const td = el("td", { className: col === "symbol" ? "sym" : "num" });
          td.dataset.col = col;
          tr.append(td);
        }
        return tr;
      }),
    );
    for (const p of rows) this.paintRow(p.symbol, p.symbol === changed);
    if (this.positionsAvailable) this.positionsNote.textContent = "No positions yet.";
    this.positionsNote.hidden = rows.length > 0;
    this.renderAccount();
  }

  paintRow(symbol, highlight = false) {
    const p = this.positions.get(symbol);
    const tr = this.body.querySelector(`tr[data-symbol="${symbol}"]`);
    if (!p || !tr) return;
    const m = this.marked(p);
    const cell = (col) => tr.querySelector(`[data-col="${col}"]`);
    cell("symbol").textContent = p.symbol;
    cell("qty").textContent = String(p.qty);
    cell("qty").className = Number(p.qty) < 0 ? "num down" : "num";
    cell("avg").textContent = Number(p.qty) ? fmtPrice(p.avg_entry_price) : "—";
    cell("value").textContent = fmt(m.value);
    cell("unrealized").textContent = fmt(m.unrealized, 2, { sign: true });
    cell("unrealized").className = tone(m.unrealized);
    cell("realized").textContent = fmt(dec(p.realized_pl), 2, { sign: true });
    cell("realized").className = tone(dec(p.realized_pl));
    tr.classList.toggle("stale", m.stale);
    if (highlight) flash(cell("qty"), "flash-up");
  }

  renderAccount() {
    const set = (field, value, { signed = false } = {}) => {
      const dd = this.strip.querySelector(`[data-field="${field}"]`);
      dd.textContent = value === null || value === undefined ? "—" : fmt(value, 2, { sign: signed });
      if (signed) dd.className = tone(value);
    };
    const a = this.account;
    this.renderTradingState(a);
    if (!a) {
      for (const f of ["equity", "cash", "buying_power", "unrealized_pl", "realized_pl"]) set(f, null);
      return;
    }
    let equity = dec(a.equity);
    let unrealized = dec(a.unrealized_pl);
    if (this.positionsAvailable && this.positions.size) {
      // live marks: cash + sum(qty x last); unrealized = sum of the rows
      equity = dec(a.cash);
      unrealized = 0n;
      for (const p of this.positions.values()) {
        const m = this.marked(p);
        equity = add(equity, m.value ?? 0n);
        unrealized = add(unrealized, m.unrealized ?? 0n);
      }
    }
    set("equity", equity);
    set("cash", dec(a.cash));
    set("buying_power", dec(a.buying_power));
    set("unrealized_pl", unrealized, { signed: true });
    set("realized_pl", dec(a.realized_pl), { signed: true });
  }

  /** active / reducing / halted, and why (set by an admin or the daily loss limit): a trader
   * who is refused should see the reason before the next order, not only in the refusal. */
  renderTradingState(a) {
    const dd = this.strip.querySelector('[data-field="trading_state"]');
    if (!dd) return;
    const state = a ? a.trading_state : null;
    dd.textContent = state || "—";
    dd.dataset.state = state || "";
    dd.className = state && state !== "active" ? "down" : "";
    dd.title = a && a.trading_state_reason ? a.trading_state_reason : "";
  }
}
