"""Pre-trade arithmetic shared by every risk rule and by the account's figures: one answer."""
