"""Every string the web UI shows is a message id (`web.*`) in the gettext catalogs, one per language
(`tianping/locale/<lang>/LC_MESSAGES/tianping.po`; docs/translating.md). The page templates call
`t('web.…')`; a new string goes into the English and Chinese catalogs, the other languages follow.

This module is kept so that the imports of it (server/web.py) keep working.
"""

from __future__ import annotations
