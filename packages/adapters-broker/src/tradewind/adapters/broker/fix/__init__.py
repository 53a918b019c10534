"""FIX 4.4 between the gateway (initiator, ``FixBroker``) and the paper venue (acceptor,
``VenueApplication``), on QuickFIX: the session layer (logon, heartbeats, test requests, resend
requests, sequence resets, the persisted message store) is QuickFIX's; the order messages and
their mapping onto the broker port are ``messages.py``."""
