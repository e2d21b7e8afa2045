"""Content provenance: AI-generated content labels (GB 45438-2025), C2PA manifests and text watermarks.

Why here (domain layer): labels are facts about content, cited to the labeling Measures
(`cn-aigc-labeling`) and GB 45438-2025; the CLI only calls these functions.
"""
