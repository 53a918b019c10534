// Candlestick chart of the selected symbol: TradingView's lightweight-charts (vendored), history
// from GET /api/v1/market/candles/{symbol}, the forming candle extended live from quotes.
import { api, isMissing } from "./api.js";
import { dec, fmtPrice, toNumber } from "./decimal.js";

const SECONDS = { "1m": 60, "5m": 300, "1h": 3600 };
const COLORS = { up: "#1fc27a", down: "#ff5468", text: "#7d8799", grid: "#1a2030", bg: "#121722" };

export class CandleChart {
  constructor(container, note, { onOpen }) {
    this.note = note;
    this.onOpen = onOpen;
    this.symbol = null;
    this.interval = "1m";
    this.bar = null; // the forming candle
    this.generation = 0; // drops answers that arrive after the trader switched symbol/interval
    const LWC = globalThis.LightweightCharts;
    if (!LWC) {
      this.showNote("Chart library failed to load.");
      return;
    }
    this.chart = LWC.createChart(container, {
      autoSize: true,
      layout: { background: { color: COLORS.bg }, textColor: COLORS.text, fontSize: 11 },
      grid: { vertLines: { color: COLORS.grid }, horzLines: { color: COLORS.grid } },
      rightPriceScale: { borderColor: "#232b3b" },
      timeScale: { borderColor: "#232b3b", timeVisible: true, secondsVisible: false, barSpacing: 9, rightOffset: 4 },
      crosshair: { mode: LWC.CrosshairMode.Normal },
    });
    this.candles = this.chart.addSeries(LWC.CandlestickSeries, {
      upColor: COLORS.up, downColor: COLORS.down, borderVisible: false,
      wickUpColor: COLORS.up, wickDownColor: COLORS.down,
      priceFormat: { type: "price", precision: 2, minMove: 0.01 },
    });
    this.volume = this.chart.addSeries(LWC.HistogramSeries, {
      priceScaleId: "", priceFormat: { type: "volume" }, color: "rgba(76,141,255,.35)",
      lastValueVisible: false, priceLineVisible: false,
    });
    this.volume.priceScale().applyOptions({ scaleMargins: { top: 0.82, bottom: 0 } });
  }

  showNote(text) {
    this.note.textContent = text || "";
    this.note.hidden = !text;
  }

  async show(symbol, interval = this.interval) {
    this.symbol = symbol;
    this.interval = interval;
    this.bar = null;
    const generation = ++this.generation;
    if (!this.chart) return;
    this.candles.setData([]);
    this.volume.setData([]);
    try {
      const rows = await api("GET", `/api/v1/market/candles/${symbol}?interval=${interval}&limit=500`);
      if (generation !== this.generation) return;
      const bars = rows
        .map((c) => ({ time: Math.floor(Date.parse(c.start) / 1000), c }))
        .sort((a, b) => a.time - b.time)
        .filter((b, i, all) => i === 0 || b.time !== all[i - 1].time);
      this.candles.setData(bars.map(({ time, c }) => ({
        time, open: toNumber(dec(c.open)), high: toNumber(dec(c.high)), low: toNumber(dec(c.low)), close: toNumber(dec(c.close)),
      })));
      this.volume.setData(bars.map(({ time, c }) => ({
        time, value: Number(c.volume) || 0,
        color: dec(c.close) >= dec(c.open) ? "rgba(31,194,122,.35)" : "rgba(255,84,104,.35)",
      })));
      const last = bars[bars.length - 1];
      if (last) this.bar = { time: last.time, open: toNumber(dec(last.c.open)), high: toNumber(dec(last.c.high)), low: toNumber(dec(last.c.low)), close: toNumber(dec(last.c.close)) };
      this.showNote(bars.length ? "" : "No candles yet for this symbol; the chart builds from live quotes.");
      const today = new Date().toISOString().slice(0, 10);
      const first = bars.find((b) => b.c.start.slice(0, 10) === today);
      if (first && interval === "1h") this.onOpen(symbol, first.c.open);
      this.chart.timeScale().scrollToRealTime();
    } catch (err) {
      if (generation !== this.generation) return;
      this.showNote(
        isMissing(err)
          ? "Candle history unavailable on this server; the chart builds from live quotes."
          : `Candle history unavailable (${err.message}); the chart builds from live quotes.`,
      );
    }
  }

  /** Extend (or start) the forming candle with a live quote of the selected symbol. */
  onQuote(q) {
    if (!this.chart || q.symbol !== this.symbol) return;
    const price = toNumber(dec(q.last));
    const seconds = SECONDS[this.interval];
    const time = Math.floor(Date.parse(q.ts) / 1000 / seconds) * seconds;
    if (!Number.isFinite(price) || !Number.isFinite(time)) return;
    if (this.bar && time < this.bar.time) return; // late quote: the candle it belongs to is closed
    if (!this.bar || time > this.bar.time) {
      this.bar = { time, open: price, high: price, low: price, close: price };
    } else {
      this.bar = { ...this.bar, high: Math.max(this.bar.high, price), low: Math.min(this.bar.low, price), close: price };
    }
    this.candles.update(this.bar);
    return fmtPrice(q.last);
  }
}
