"""One command module per aggregate or area; each takes the ``Ledger`` it works through."""
