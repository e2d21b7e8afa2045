"""Incident records compatible with the AI Incident Database (AIID) and the OECD AI Incidents
Monitor (AIM), with reporting deadlines and signed, content-addressed sharing."""
