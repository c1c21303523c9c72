"""The ledger written out in other formats, each read at one point in both times."""
