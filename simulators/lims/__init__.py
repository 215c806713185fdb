"""LIMS simulator: the QC laboratory system of the reference plant, speaking HL7 v2.5.1 over MLLP.

Endpoint `mllp://<host>:<port>` (server.py). Inbound: OML^O21 orders answered ACK^O21^ACK (inbound.py,
ids and codes in oml.py) and the audit-trail query QBP^Z99 answered RSP^Z99 (query.py, profile there).
Outbound: ORU^R01 results to the receiver set with the `set_receiver` action (oru.py, outbound.py).
Console actions for tests and scenarios are in actions.py; state persists in <data_dir>/lims.json and
the native audit trail in <data_dir>/audit.jsonl.
"""
