// Exact decimal arithmetic for what the screen derives (change, P&L, notional): the API's money
// and prices are decimal strings, and we keep them exact as scaled BigInts rather than floats.
const PLACES = 8;
const ONE = 10n ** BigInt(PLACES);

/** "101.25" -> 10125000000n (scaled by 1e8); null for anything that is not a plain decimal. */
export function dec(value) {
  if (value === null || value === undefined) return null;
  const m = /^\s*([-+]?)(\d*)(?:\.(\d*))?\s*$/.exec(String(value));
  if (!m || (m[2] === "" && !m[3])) return null;
  const frac = (m[3] || "").slice(0, PLACES).padEnd(PLACES, "0");
  const v = BigInt(m[2] || "0") * ONE + BigInt(frac);
  return m[1] === "-" ? -v : v;
}

export const add = (a, b) => (a === null || b === null ? null : a + b);
export const sub = (a, b) => (a === null || b === null ? null : a - b);
/** decimal x whole number (quantities are integers) */
export const times = (a, n) => (a === null ? null : a * BigInt(n));

function round(v, places) {
  const unit = 10n ** BigInt(PLACES - places);
  const half = unit / 2n;
  const q = (v < 0n ? -v + half : v + half) / unit; // half away from zero
  return v < 0n ? -q : q;
}

/** Format a scaled value: thousands separators, fixed places, optional explicit "+". */
export function fmt(v, places = 2, { sign = false } = {}) {
  if (v === null || v === undefined) return "—";
  const r = round(v, places);
  const neg = r < 0n;
  const digits = (neg ? -r : r).toString().padStart(places + 1, "0");
  const int = digits.slice(0, digits.length - places).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const frac = places ? "." + digits.slice(digits.length - places) : "";
  return (neg ? "-" : sign && r > 0n ? "+" : "") + int + frac;
}

/** a / b as a percentage, formatted with 2 places ("+1.23%"). */
export function pct(a, b) {
  if (a === null || b === null || b === 0n) return "—";
  return fmt((a * 100n * ONE) / b, 2, { sign: true }) + "%";
}

/** A price string shown with 2 to 4 decimals, as many as it really has. */
export function fmtPrice(value) {
  const v = dec(value);
  if (v === null) return "—";
  const frac = (String(value).split(".")[1] || "").replace(/0+$/, "");
  return fmt(v, Math.min(4, Math.max(2, frac.length)));
}

export const sign = (v) => (v === null ? 0 : v > 0n ? 1 : v < 0n ? -1 : 0);
export const toNumber = (v) => (v === null ? NaN : Number(v) / Number(ONE)); // for the chart only
