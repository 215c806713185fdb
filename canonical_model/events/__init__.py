"""Canonical events, one module per system whose subject they travel on.

Payload convention: an event that announces a record (created, recorded, opened, published)
embeds the record under its aggregate name (`result: TestResult`); an event that announces a
change of one attribute carries the record id, `previous_status`/`status` (or state), the reason
and who and when, as flat fields.
"""
