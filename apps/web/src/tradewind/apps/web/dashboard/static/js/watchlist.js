// Watchlist: live bid / ask / last per symbol, change since the open, a flash on every change.
import { dec, fmt, fmtPrice, pct, sign, sub } from "./decimal.js";

export class Watchlist {
  constructor(table, onSelect) {
    this.rows = new Map();
    this.quotes = new Map(); // symbol -> last quote seen
    this.opens = new Map(); // symbol -> {value, source: "candles" | "first-seen"}
    for (const tr of table.querySelectorAll("tbody tr")) {
      this.rows.set(tr.dataset.symbol, tr);
      const pick = () => onSelect(tr.dataset.symbol);
      tr.addEventListener("click", pick);
      tr.addEventListener("keydown", (e) => (e.key === "Enter" ? pick() : null));
    }
  }

  get symbols() {
    return [...this.rows.keys()];
  }

  select(symbol) {
    for (const [s, tr] of this.rows) tr.classList.toggle("selected", s === symbol);
  }

  /** The day's open, from the first candle of the UTC day (better than the first quote seen). */
  setOpen(symbol, value) {
    this.opens.set(symbol, { value: dec(value), source: "candles" });
    const q = this.quotes.get(symbol);
    if (q) this.paintChange(symbol, q);
  }

  onQuote(q) {
    const tr = this.rows.get(q.symbol);
    const previous = this.quotes.get(q.symbol);
    this.quotes.set(q.symbol, q);
    if (!tr) return;
    if (!this.opens.has(q.symbol)) this.opens.set(q.symbol, { value: dec(q.last), source: "first-seen" });
    for (const col of ["bid", "ask", "last"]) {
      const td = tr.querySelector(`[data-col="${col}"]`);
      const text = fmtPrice(q[col]);
      if (td.textContent === text) continue;
      td.textContent = text;
      const direction = previous ? sign(sub(dec(q[col]), dec(previous[col]))) : 0;
      if (direction !== 0) flash(td, direction > 0 ? "flash-up" : "flash-down");
    }
    tr.classList.toggle("stale", Boolean(q.stale));
    tr.title = q.stale ? "stale: no update for more than 5 s" : `as of ${q.ts}`;
    this.paintChange(q.symbol, q);
  }

  paintChange(symbol, q) {
    const tr = this.rows.get(symbol);
    const open = this.opens.get(symbol);
    if (!tr || !open || open.value === null) return;
    const change = sub(dec(q.last), open.value);
    const cls = change > 0n ? "num up" : change < 0n ? "num down" : "num";
    const chg = tr.querySelector('[data-col="chg"]');
    const chgpct = tr.querySelector('[data-col="chgpct"]');
    chg.textContent = fmt(change, 2, { sign: true });
    chgpct.textContent = pct(change, open.value);
    chg.className = chgpct.className = cls;
    chg.title = open.source === "candles" ? "since today's first candle (UTC)" : "since this page opened";
  }
}

export function flash(td, cls) {
  td.classList.remove("flash-up", "flash-down");
  void td.offsetWidth; // restart the animation
  td.classList.add(cls);
}
