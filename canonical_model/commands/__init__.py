"""Canonical commands, one module per target system; named in the imperative.

Commands carry flat fields: what to act on, what to do and why. The command id is the envelope
id, and the adapter answers with the reply events of `canonical_model.replies`.
"""
