"""The position service (fills into the positions view) and the portfolio read side."""
