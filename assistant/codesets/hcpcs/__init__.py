"""HCPCS Level II (CMS): supplies, drugs, services and modifiers."""
