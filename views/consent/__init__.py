"""The Consent page's views, one per tab: current status, sources and relationships, opt-ins
and opt-outs, missing evidence, and one person's consent. pages/consent.py draws the open tab."""
