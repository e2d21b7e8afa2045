"""Everything a person reads from monitoring (message ids mon_*).

The texts are in the gettext catalogs (tianping/locale/<lang>/LC_MESSAGES/tianping.po), one per
language; this module is kept so that older imports of it still work.
"""
