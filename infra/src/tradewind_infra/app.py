"""``cdk synth`` / ``cdk deploy`` entry point (``infra/cdk.json``): parameters from context."""

from __future__ import annotations

import aws_cdk as cdk

from tradewind_infra.parameters import Parameters
from tradewind_infra.stack import TradewindStack


def build(app: cdk.App) -> TradewindStack:
    params = Parameters.from_context(app.node)
    return TradewindStack(app, app.node.try_get_context("stack_name") or "Tradewind", params=params)


def main() -> None:
    app = cdk.App()
    build(app)
    app.synth()


if __name__ == "__main__":
    main()
