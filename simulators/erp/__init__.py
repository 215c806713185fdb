"""ERP simulator: an SAP S/4HANA-like REST/JSON service with OData-style querying.

It holds materials, batches (lots) with stock status, QM usage decisions, goods movements,
production orders and BOMs, guards changes with ETags, and publishes a change feed and
change documents (like CDHDR/CDPOS) so that an integration can catch up after downtime.
"""
