"""The order messages of FIX 4.4 as we use them, and their mapping onto the broker port. Pure:
no session, no thread; the venue and the gateway's adapter share it, so both ends agree.

Conventions (docs/decisions/0010-fix-venue.md):

- ``ClOrdID`` (11) of a NewOrderSingle is our order id; a cancel or replace carries a new
  request id ``<order id>~<n>`` in 11 and the order id in ``OrigClOrdID`` (41). The venue keys
  orders by the first ClOrdID; its reports carry it in 11, except the direct answer to a cancel
  or replace, which carries that request's id in 11 and the order id in 41. So the order id of
  any report is ``order_id_of(11)``.
- ``Account`` (1) is echoed on every report (the gateway relies on it).
- Prices and quantities are plain decimal strings (never exponent notation); ``AvgPx`` (6) is the
  exact volume-weighted average the venue computed.
- Status answers (OrderStatusRequest, OrderMassStatusRequest) are ExecutionReports carrying the
  request's id (790 or 584): first each fill of the order again (ExecType F, the venue's own
  ExecIDs, so reconciliation dedupes them), then one ExecType I report of the order; the very
  last message of an answer has ``LastRptRequested`` (912) = Y. An answer is never a new fact:
  the adapter hands it to the caller, not to the report callbacks.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final

import quickfix as fix

from tradewind.application.execution.broker import BrokerOrder, BrokerOrderState, ExecType, ExecutionReport
from tradewind.domain.orders.status import OrderSide, OrderType, TimeInForce

BEGIN_STRING: Final = "FIX.4.4"
REQUEST_SEPARATOR: Final = "~"

# tags
ACCOUNT, AVG_PX, CL_ORD_ID, CUM_QTY, EXEC_ID, LAST_PX, LAST_QTY = 1, 6, 11, 14, 17, 31, 32
POSS_DUP_FLAG = 43
MSG_TYPE, ORDER_ID, ORDER_QTY, ORD_STATUS, ORD_TYPE, ORIG_CL_ORD_ID, PRICE = 35, 37, 38, 39, 40, 41, 44
SIDE, SYMBOL, TEXT, TIME_IN_FORCE, TRANSACT_TIME, STOP_PX, CXL_REJ_REASON = 54, 55, 58, 59, 60, 99, 102
ORD_REJ_REASON, EXEC_TYPE, LEAVES_QTY, CXL_REJ_RESPONSE_TO = 103, 150, 151, 434
MASS_STATUS_REQ_ID, MASS_STATUS_REQ_TYPE, ORD_STATUS_REQ_ID, TOT_NUM_REPORTS, LAST_RPT_REQUESTED = (
    584,
    585,
    790,
    911,
    912,
)

# message types
NEW_ORDER_SINGLE, ORDER_CANCEL_REQUEST, ORDER_CANCEL_REPLACE_REQUEST = "D", "F", "G"
EXECUTION_REPORT, ORDER_CANCEL_REJECT, ORDER_STATUS_REQUEST, ORDER_MASS_STATUS_REQUEST = "8", "9", "H", "AF"
LOGOUT: Final = "5"  # an admin message: the venue says why it ends the session in its Text

_SIDE = {OrderSide.BUY: "1", OrderSide.SELL: "2"}
_ORD_TYPE = {OrderType.MARKET: "1", OrderType.LIMIT: "2", OrderType.STOP: "3", OrderType.STOP_LIMIT: "4"}
_TIF = {TimeInForce.DAY: "0", TimeInForce.GTC: "1", TimeInForce.IOC: "3", TimeInForce.FOK: "4"}
_EXEC_TYPE = {
    ExecType.NEW: "0",
    ExecType.CANCELED: "4",
    ExecType.REPLACED: "5",
    ExecType.REJECTED: "8",
    ExecType.EXPIRED: "C",
    ExecType.FILL: "F",
}
_ORD_STATUS = {
    ExecType.NEW: "0",
    ExecType.CANCELED: "4",
    ExecType.REPLACED: "5",
    ExecType.REJECTED: "8",
    ExecType.EXPIRED: "C",
}
ORDER_STATUS_EXEC_TYPE: Final = "I"
UNKNOWN_ORDER: Final = "5"  # OrdRejReason / CxlRejReason 1 is "unknown order" for cancels
_FROM_SIDE = {v: k for k, v in _SIDE.items()}
_FROM_ORD_TYPE = {v: k for k, v in _ORD_TYPE.items()}
_FROM_TIF = {v: k for k, v in _TIF.items()}
_FROM_EXEC_TYPE = {v: k for k, v in _EXEC_TYPE.items()}
_FROM_ORD_STATUS = {**{v: k for k, v in _ORD_STATUS.items()}, "1": ExecType.FILL, "2": ExecType.FILL}


class MalformedMessage(ValueError):
    """A message we cannot read: the tag it is about is in ``tag``."""

    def __init__(self, detail: str, tag: int) -> None:
        super().__init__(detail)
        self.tag = tag


def order_id_of(cl_ord_id: str) -> str:
    return cl_ord_id.split(REQUEST_SEPARATOR, 1)[0]


def decimal_text(value: Decimal) -> str:
    return format(value, "f")


def utc_timestamp(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y%m%d-%H:%M:%S.%f")[:-3]


def parse_utc_timestamp(text: str) -> datetime:
    for shape in ("%Y%m%d-%H:%M:%S.%f", "%Y%m%d-%H:%M:%S"):
        try:
            return datetime.strptime(text, shape).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise MalformedMessage(f"TransactTime {text!r} is not a UTCTimestamp", TRANSACT_TIME)


def message(msg_type: str) -> fix.Message:
    msg = fix.Message()
    msg.getHeader().setField(fix.BeginString(BEGIN_STRING))
    msg.getHeader().setField(fix.MsgType(msg_type))
    return msg


def msg_type(msg: fix.Message) -> str:
    return str(msg.getHeader().getField(MSG_TYPE))


def get(msg: fix.Message, tag: int) -> str | None:
    return str(msg.getField(tag)) if msg.isSetField(tag) else None


def need(msg: fix.Message, tag: int) -> str:
    value = get(msg, tag)
    if value is None or value == "":
        raise MalformedMessage(f"tag {tag} is required", tag)
    return value


def _decimal(msg: fix.Message, tag: int) -> Decimal | None:
    text = get(msg, tag)
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise MalformedMessage(f"tag {tag} is not a decimal: {text!r}", tag) from None
    if not value.is_finite():
        raise MalformedMessage(f"tag {tag} is not a finite decimal: {text!r}", tag)
    return value


def _int(msg: fix.Message, tag: int, default: int | None = None) -> int:
    text = get(msg, tag)
    if text is None:
        if default is None:
            raise MalformedMessage(f"tag {tag} is required", tag)
        return default
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise MalformedMessage(f"tag {tag} is not a quantity: {text!r}", tag) from None
    if value != value.to_integral_value():
        raise MalformedMessage(f"tag {tag} must be a whole number of shares: {text!r}", tag)
    return int(value)


def _set(msg: fix.Message, tag: int, value: str | None) -> None:
    if value is not None:
        msg.setField(tag, value)


# -- requests (gateway -> venue) --------------------------------------------------------------


def new_order_single(order: BrokerOrder, now: datetime) -> fix.Message:
    msg = message(NEW_ORDER_SINGLE)
    _set(msg, CL_ORD_ID, order.client_order_id)
    _set(msg, ACCOUNT, order.account or None)
    _set(msg, SYMBOL, order.symbol)
    _set(msg, SIDE, _SIDE[order.side])
    _set(msg, ORDER_QTY, str(order.qty))
    _set(msg, ORD_TYPE, _ORD_TYPE[order.order_type])
    _set(msg, TIME_IN_FORCE, _TIF[order.time_in_force])
    _set(msg, PRICE, None if order.limit_price is None else decimal_text(order.limit_price))
    _set(msg, STOP_PX, None if order.stop_price is None else decimal_text(order.stop_price))
    _set(msg, TRANSACT_TIME, utc_timestamp(now))
    return msg


def read_new_order_single(msg: fix.Message) -> BrokerOrder:
    side, ord_type, tif = need(msg, SIDE), need(msg, ORD_TYPE), get(msg, TIME_IN_FORCE) or "0"
    if side not in _FROM_SIDE:
        raise MalformedMessage(f"Side {side!r} is not buy (1) or sell (2)", SIDE)
    if ord_type not in _FROM_ORD_TYPE:
        raise MalformedMessage(f"OrdType {ord_type!r} is not market, limit, stop or stop limit", ORD_TYPE)
    if tif not in _FROM_TIF:
        raise MalformedMessage(f"TimeInForce {tif!r} is not day, gtc, ioc or fok", TIME_IN_FORCE)
    return BrokerOrder(
        client_order_id=need(msg, CL_ORD_ID),
        symbol=need(msg, SYMBOL),
        side=_FROM_SIDE[side],
        qty=_int(msg, ORDER_QTY),
        order_type=_FROM_ORD_TYPE[ord_type],
        time_in_force=_FROM_TIF[tif],
        limit_price=_decimal(msg, PRICE),
        stop_price=_decimal(msg, STOP_PX),
        account=get(msg, ACCOUNT) or "",
    )


def cancel_request(request_id: str, client_order_id: str, now: datetime) -> fix.Message:
    msg = message(ORDER_CANCEL_REQUEST)
    _set(msg, CL_ORD_ID, request_id)
    _set(msg, ORIG_CL_ORD_ID, client_order_id)
    _set(msg, TRANSACT_TIME, utc_timestamp(now))
    return msg


def replace_request(
    request_id: str, client_order_id: str, qty: int | None, limit_price: Decimal | None, now: datetime
) -> fix.Message:
    msg = message(ORDER_CANCEL_REPLACE_REQUEST)
    _set(msg, CL_ORD_ID, request_id)
    _set(msg, ORIG_CL_ORD_ID, client_order_id)
    _set(msg, ORDER_QTY, None if qty is None else str(qty))
    _set(msg, PRICE, None if limit_price is None else decimal_text(limit_price))
    _set(msg, TRANSACT_TIME, utc_timestamp(now))
    return msg


def read_replace(msg: fix.Message) -> tuple[int | None, Decimal | None]:
    qty = None if get(msg, ORDER_QTY) is None else _int(msg, ORDER_QTY)
    return qty, _decimal(msg, PRICE)


def order_status_request(request_id: str, client_order_id: str) -> fix.Message:
    msg = message(ORDER_STATUS_REQUEST)
    _set(msg, ORD_STATUS_REQ_ID, request_id)
    _set(msg, CL_ORD_ID, client_order_id)
    return msg


def mass_status_request(request_id: str) -> fix.Message:
    msg = message(ORDER_MASS_STATUS_REQUEST)
    _set(msg, MASS_STATUS_REQ_ID, request_id)
    _set(msg, MASS_STATUS_REQ_TYPE, "7")  # all orders (the venue answers with the open ones)
    return msg


# -- answers (venue -> gateway) ---------------------------------------------------------------


def execution_report(report: ExecutionReport, *, cl_ord_id: str | None = None) -> fix.Message:
    """One report as an ExecutionReport; ``cl_ord_id`` is the request it answers (cancel or
    replace), when it answers one."""
    msg = message(EXECUTION_REPORT)
    _fill_report(msg, report, cl_ord_id)
    _set(msg, EXEC_TYPE, _EXEC_TYPE[report.exec_type])
    _set(msg, ORD_STATUS, _ord_status(report.exec_type, report.leaves_qty))
    return msg


def _fill_report(msg: fix.Message, report: ExecutionReport, cl_ord_id: str | None) -> None:
    _set(msg, ORDER_ID, report.broker_order_id)
    _set(msg, CL_ORD_ID, cl_ord_id or report.client_order_id)
    if cl_ord_id is not None:
        _set(msg, ORIG_CL_ORD_ID, report.client_order_id)
    _set(msg, EXEC_ID, report.exec_id)
    _set(msg, ACCOUNT, report.account or None)
    _set(msg, SYMBOL, report.symbol)
    _set(msg, SIDE, _SIDE[report.side])
    _set(msg, ORDER_QTY, str(report.order_qty))
    _set(msg, CUM_QTY, str(report.cum_qty))
    _set(msg, LEAVES_QTY, str(report.leaves_qty))
    _set(msg, AVG_PX, decimal_text(report.avg_price) if report.avg_price is not None else "0")
    if report.last_qty:
        _set(msg, LAST_QTY, str(report.last_qty))
    _set(msg, LAST_PX, None if report.last_price is None else decimal_text(report.last_price))
    _set(msg, PRICE, None if report.limit_price is None else decimal_text(report.limit_price))
    _set(msg, TEXT, report.reason)
    _set(msg, TRANSACT_TIME, utc_timestamp(report.ts))


def _ord_status(exec_type: ExecType, leaves_qty: int) -> str:
    if exec_type == ExecType.FILL:
        return "2" if leaves_qty == 0 else "1"
    return _ORD_STATUS[exec_type]


def read_execution_report(msg: fix.Message) -> ExecutionReport:
    """A report of a new fact (ExecType 0, F, 4, 5, 8, C) as the port's report."""
    exec_type = need(msg, EXEC_TYPE)
    if exec_type not in _FROM_EXEC_TYPE:
        raise MalformedMessage(f"ExecType {exec_type!r} is not a fact we know", EXEC_TYPE)
    return _report(msg, _FROM_EXEC_TYPE[exec_type])


def _report(msg: fix.Message, exec_type: ExecType) -> ExecutionReport:
    side = need(msg, SIDE)
    if side not in _FROM_SIDE:
        raise MalformedMessage(f"Side {side!r} is not buy (1) or sell (2)", SIDE)
    cum = _int(msg, CUM_QTY)
    avg = _decimal(msg, AVG_PX)
    transact = get(msg, TRANSACT_TIME)
    return ExecutionReport(
        exec_id=need(msg, EXEC_ID),
        exec_type=exec_type,
        client_order_id=order_id_of(need(msg, CL_ORD_ID)),
        broker_order_id=need(msg, ORDER_ID),
        symbol=need(msg, SYMBOL),
        side=_FROM_SIDE[side],
        order_qty=_int(msg, ORDER_QTY),
        cum_qty=cum,
        leaves_qty=_int(msg, LEAVES_QTY),
        avg_price=avg if cum else None,
        last_qty=_int(msg, LAST_QTY, 0),
        last_price=_decimal(msg, LAST_PX),
        limit_price=_decimal(msg, PRICE),
        reason=get(msg, TEXT),
        account=get(msg, ACCOUNT) or "",
        **({} if transact is None else {"ts": parse_utc_timestamp(transact)}),
    )


def status_report(state: BrokerOrderState, **request: Any) -> fix.Message:
    """The ExecType I report of one order's state; ``request`` names the answered request's
    id tag (``ord_status_req_id=`` or ``mass_status_req_id=``)."""
    msg = message(EXECUTION_REPORT)
    report = ExecutionReport(
        exec_id=f"status-{state.broker_order_id}",
        exec_type=state.status,
        client_order_id=state.client_order_id,
        broker_order_id=state.broker_order_id,
        symbol=state.symbol,
        side=state.side,
        order_qty=state.order_qty,
        cum_qty=state.cum_qty,
        leaves_qty=state.leaves_qty,
        avg_price=state.avg_price,
        limit_price=state.limit_price,
        account=state.account,
    )
    _fill_report(msg, report, None)
    _set(msg, EXEC_TYPE, ORDER_STATUS_EXEC_TYPE)
    _set(msg, ORD_STATUS, _ord_status(state.status, state.leaves_qty))
    _mark_answer(msg, **request)
    return msg


def answer_copy(report: ExecutionReport, **request: Any) -> fix.Message:
    """A fill told again as part of a status answer (same ExecID: never a new fact)."""
    msg = execution_report(report)
    _mark_answer(msg, **request)
    return msg


def unknown_order_answer(client_order_id: str, **request: Any) -> fix.Message:
    msg = message(EXECUTION_REPORT)
    for tag, value in (
        (ORDER_ID, "NONE"),
        (CL_ORD_ID, client_order_id),
        (EXEC_ID, f"status-unknown-{client_order_id}"),
        (EXEC_TYPE, ORDER_STATUS_EXEC_TYPE),
        (ORD_STATUS, "8"),
        (ORD_REJ_REASON, UNKNOWN_ORDER),
        (TEXT, "unknown order"),
    ):
        msg.setField(tag, value)
    _mark_answer(msg, **request)
    return msg


def _mark_answer(
    msg: fix.Message,
    *,
    ord_status_req_id: str | None = None,
    mass_status_req_id: str | None = None,
    total: str | None = None,
    last: bool = False,
) -> None:
    _set(msg, ORD_STATUS_REQ_ID, ord_status_req_id)
    _set(msg, MASS_STATUS_REQ_ID, mass_status_req_id)
    _set(msg, TOT_NUM_REPORTS, total)
    _set(msg, LAST_RPT_REQUESTED, "Y" if last else "N")


def read_status(msg: fix.Message) -> BrokerOrderState | None:
    """The state in an ExecType I report; ``None`` for an unknown order or an empty mass answer."""
    if get(msg, ORD_REJ_REASON) == UNKNOWN_ORDER or get(msg, ORDER_ID) == "NONE":
        return None
    status = need(msg, ORD_STATUS)
    if status not in _FROM_ORD_STATUS:
        raise MalformedMessage(f"OrdStatus {status!r} is not one we know", ORD_STATUS)
    r = _report(msg, _FROM_ORD_STATUS[status])
    return BrokerOrderState(
        client_order_id=r.client_order_id,
        broker_order_id=r.broker_order_id,
        symbol=r.symbol,
        side=r.side,
        order_qty=r.order_qty,
        cum_qty=r.cum_qty,
        leaves_qty=r.leaves_qty,
        avg_price=r.avg_price,
        status=r.exec_type,
        account=r.account,
        limit_price=r.limit_price,
    )


def with_fills(state: BrokerOrderState, fills: list[ExecutionReport]) -> BrokerOrderState:
    return replace(state, fills=tuple(f for f in fills if f.client_order_id == state.client_order_id))


def cancel_reject(
    request_id: str, client_order_id: str, *, replace_request: bool, reason: str, status: str = "8"
) -> fix.Message:
    msg = message(ORDER_CANCEL_REJECT)
    for tag, value in (
        (ORDER_ID, "NONE"),
        (CL_ORD_ID, request_id),
        (ORIG_CL_ORD_ID, client_order_id),
        (ORD_STATUS, status),
        (CXL_REJ_RESPONSE_TO, "2" if replace_request else "1"),
        (CXL_REJ_REASON, "1" if "unknown" in reason else "99"),
        (TEXT, reason),
    ):
        msg.setField(tag, value)
    return msg
