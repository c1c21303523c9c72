"""Screening: is a name sanctioned, now or at any past point in both times, and why."""
