"""The AI divide observatory: indicators, a transparent readiness index, views, a policy
tracker, and an incident database that can be shared between Tianping instances.

Why one package: the index, the capacity-building view and the incident records all answer the
same question from the seed documents — where the "intelligence divide" (智能鸿沟) is, and what
helps close it — and they share countries, groupings and the catalog links.
"""
