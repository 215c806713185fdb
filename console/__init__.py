"""The operations and audit console: a web front end on gxplink's stores and NATS, for people who
should not need the CLI (operations staff, QA reviewers, auditors).

It reads the workflow and audit stores, watches NATS for live batch status, and acts only through
the same paths the CLI uses (signatures through the orchestrator's Signer, replays over NATS); every
action it takes is itself published as an audit record on `gxp.audit.console`.
"""
