"""QMS simulator: a SOAP 1.1 QualityRecordService (deviations, investigations, CAPAs, change controls)."""
