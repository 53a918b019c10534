"""Domain errors. Each carries a machine-readable ``code`` and, where the caller sent the bad
value, the ``field`` that was wrong, so the HTTP layer can answer 4xx with both (invariant 8)."""

from __future__ import annotations


class DomainError(Exception):
    code = "domain_error"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class InvalidOrder(DomainError):
    code = "invalid_order"


class InvalidTransition(DomainError):
    code = "invalid_transition"

    def __init__(self, current: object, trigger: object) -> None:
        super().__init__(f"an order in status {current} cannot become {trigger}")
        self.current = current
        self.trigger = trigger


class OrderNotCancelable(DomainError):
    code = "order_not_cancelable"


class OrderNotAmendable(DomainError):
    code = "order_not_amendable"


class OrderNotFound(DomainError):
    code = "order_not_found"


class RiskRejected(DomainError):
    """A pre-trade rule said no. ``rule`` names it (no free-text-only denials)."""

    code = "risk_rejected"

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(detail)
        self.rule = rule


class RiskUnavailable(DomainError):
    """The check could not be made (no price, stale price, cache down, rule error): fail closed."""

    code = "risk_unavailable"

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(detail)
        self.rule = rule


class ServiceUnavailable(DomainError):
    """A store the request needs did not answer in time (Redis down, its connection pool
    exhausted past its wait): 503 with ``Retry-After``, never a 500; nothing was changed."""

    code = "service_unavailable"

    def __init__(self, service: str, detail: str) -> None:
        super().__init__(detail)
        self.service = service


class StaleReport(DomainError):
    """A venue report that adds nothing the ledger does not already have (a fill already counted
    under another exec id): kept and flagged, not applied."""

    code = "stale_report"


class ClientOrderIdReused(DomainError):
    """The same ``client_order_id`` with a different order: refused, naming the first order."""

    code = "client_order_id_reused"

    def __init__(self, detail: str, *, order_id: object) -> None:
        super().__init__(detail, field="client_order_id")
        self.order_id = str(order_id)
