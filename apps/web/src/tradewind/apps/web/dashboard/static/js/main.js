// The trader's screen: wires the panels to the one live stream and to the REST snapshots.
// Order of start-up matters: the stream opens first, then the snapshots load; both feed the same
// forward-only merges, so nothing that happens in between is lost.
import { api, isMissing } from "./api.js";
import { Blotter } from "./blotter.js";
import { CandleChart } from "./chart.js";
import { Portfolio } from "./portfolio.js";
import { LiveStream } from "./stream.js";
import { OrderTicket } from "./ticket.js";
import { Watchlist } from "./watchlist.js";

const $ = (id) => document.querySelector(`[data-testid="${id}"]`);

const watchlist = new Watchlist($("watchlist"), (symbol) => select(symbol));
const quoteOf = (symbol) => watchlist.quotes.get(symbol);
const chart = new CandleChart($("chart"), $("chart-note"), { onOpen: (s, open) => watchlist.setOpen(s, open) });
const blotter = new Blotter($("blotter"));
const portfolio = new Portfolio($("positions"), $("account"), {
  quoteOf,
  positionsNote: $("positions-note"),
  accountNote: $("account-note"),
});
const ticket = new OrderTicket(document.getElementById("ticket"), {
  quoteOf,
  onPlaced: (order) => {
    blotter.upsert(order);
    portfolio.reloadSoon(); // buying power now reserves this order
  },
});

function select(symbol) {
  watchlist.select(symbol);
  ticket.setSymbol(symbol);
  $("chart-symbol").textContent = symbol;
  const q = quoteOf(symbol);
  $("chart-last").textContent = q ? q.last : "";
  chart.show(symbol);
}

document.querySelectorAll("[data-interval]").forEach((button) =>
  button.addEventListener("click", () => {
    button.parentElement.querySelectorAll("button").forEach((b) => b.classList.toggle("on", b === button));
    chart.show(chart.symbol, button.dataset.interval);
  }),
);
document.getElementById("ticket").elements.symbol.addEventListener("change", (e) => select(e.target.value));

const connection = $("connection");
const stream = new LiveStream(
  `/api/v1/stream?symbols=${watchlist.symbols.join(",")}`,
  {
    quote: (q) => {
      watchlist.onQuote(q);
      portfolio.onQuote(q);
      if (q.symbol === chart.symbol) {
        chart.onQuote(q);
        $("chart-last").textContent = q.last;
      }
      if (q.symbol === ticket.symbol) ticket.paintEstimate();
    },
    order: (order) => {
      blotter.upsert(order);
      portfolio.reloadSoon();
    },
    fill: (fill) => {
      blotter.applyFill(fill);
      portfolio.reloadSoon();
    },
    position: (position) => portfolio.onPosition(position),
  },
  {
    onState: (state) => {
      connection.dataset.state = state;
      connection.textContent = state;
    },
    // Orders and fills are replayed from Last-Event-ID; without one (no order event seen yet)
    // the server has nothing to resume from, so the blotter is re-read too.
    onResume: () => Promise.all([portfolio.load(), stream.lastEventId ? null : blotter.load()]),
    onRestart: () => Promise.all([blotter.load(), portfolio.load()]), // a new EventSource: re-read all
  },
);
window.tradewind = { stream, blotter, portfolio, watchlist }; // for the curious (and the browser tests)

/** The day's open per symbol, from the first 1h candle of the UTC day, when candles exist. */
async function loadOpens() {
  const today = new Date().toISOString().slice(0, 10);
  for (const symbol of watchlist.symbols) {
    try {
      const candles = await api("GET", `/api/v1/market/candles/${symbol}?interval=1h&limit=24`);
      const first = candles.filter((c) => c.start.slice(0, 10) === today).sort((a, b) => (a.start < b.start ? -1 : 1))[0];
      if (first) watchlist.setOpen(symbol, first.open);
    } catch (err) {
      if (isMissing(err)) return; // no candles on this server: change is since the first quote seen
    }
  }
}

function tick() {
  $("clock").textContent = new Date().toISOString().slice(11, 19) + " UTC";
}

stream.start();
select(watchlist.symbols[0]);
blotter.load();
portfolio.load();
loadOpens();
tick();
setInterval(tick, 1000);
