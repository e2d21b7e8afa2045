"""Everything a person reads from the provenance commands (message ids pv_*).

The texts are in the gettext catalogs (tianping/locale/<lang>/LC_MESSAGES/tianping.po), one per
language; this module is kept so that older imports of it still work.
"""
