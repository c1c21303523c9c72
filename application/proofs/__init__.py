"""Proofs that the ledger's log is what it claims to be: signed notes and checkpoints."""
