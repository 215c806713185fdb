"""MES simulator: an EBR-style manufacturing execution system (in the manner of PAS-X or Syncade).

It speaks REST/JSON with a published OpenAPI document, keeps batches, electronic batch record steps,
material consumption, samples and signatures, a cursor-based change feed, a native audit trail and
exports batch production records as B2MML/BatchML V0700.
"""
