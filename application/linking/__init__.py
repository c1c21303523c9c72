"""Linking subjects across authorities: the same person or entity listed by several.

Decisions are events of their own (``domain.link``): linking, unlinking and rejecting a pair
never changes either subject. ``clusters`` reads the linked pairs at a point in both times
and groups them into clusters with canonical ids; the suggester (``suggest``, ``candidates``,
``evidence``) proposes pairs and leaves out those already decided.
"""
