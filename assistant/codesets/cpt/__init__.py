"""CPT (AMA): a licensed descriptor file the user supplies; medcode never ships CPT text."""
