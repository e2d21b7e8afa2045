"""Everything a person reads from the AI-divide observatory commands (message ids obs_*).

The texts are in the gettext catalogs (tianping/locale/<lang>/LC_MESSAGES/tianping.po), one per
language; this module is kept so that older imports of it still work.
"""
