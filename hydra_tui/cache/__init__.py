"""The async cache between the client and the screens: freshness, single-flight, stale-on-error, polling.

No Textual here: screens subscribe with plain callbacks.
"""
