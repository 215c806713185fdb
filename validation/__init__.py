"""Validation evidence (GAMP 5, FDA Computer Software Assurance): requirements as data, tests that
declare which requirements they prove, and a report a quality unit can review and sign: the
traceability matrix, installation and operational qualification, and what is not yet proven."""
