"""The Disclosures page's views: the KPI cards, and one per tab (the log with its charts and
drill-down, recording a disclosure by hand, one person's disclosures)."""
