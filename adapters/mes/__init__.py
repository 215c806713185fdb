"""The MES adapter: REST/JSON with httpx (change feed, audit trail, batch commands, BatchML V0700 records)."""
