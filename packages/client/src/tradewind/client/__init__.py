"""``tradewind.client``: a small typed client for the Tradewind HTTP API v1.

```python
from decimal import Decimal
from tradewind.client import TradewindClient

with TradewindClient("http://127.0.0.1:8000", token) as tw:
    order = tw.place_order("AAPL", "buy", 10, "limit", limit_price=Decimal("99.50"))
    for event in tw.stream(["AAPL"], last_event_id="0"):
        print(event.event, event.value)
```

It depends on ``httpx`` alone and never on the server's packages; its expectations of the server
are the consumer side of the ``tradewind-client`` pacts in ``contracts/pacts/``.
"""

from tradewind.client.api import TradewindClient
from tradewind.client.errors import ApiError
from tradewind.client.models import (
    Account,
    Candle,
    Fill,
    Order,
    OrderPage,
    Position,
    Quote,
    ResponseShapeError,
    StreamEvent,
)
from tradewind.client.sse import parse_events

__all__ = [
    "Account",
    "ApiError",
    "Candle",
    "Fill",
    "Order",
    "OrderPage",
    "Position",
    "Quote",
    "ResponseShapeError",
    "StreamEvent",
    "TradewindClient",
    "parse_events",
]
