"""Assessment reports (HTML, PDF, JSON, OSCAL) and signed, verifiable report bundles."""
