"""ICD-10-PCS (CMS): inpatient procedure codes built axis by axis from the official tables."""
