"""Minimal XMP packet handling for the TC260 AIGC property (JPEG APP1, WebP 'XMP ' chunk).

Why regular expressions and not an XML parser: XMP comes from untrusted uploads, and XML parsers
bring entity expansion and external-entity risks; we only need one property. Namespace
http://www.tc260.org.cn/ns/AIGC/1.0/ with property AIGC holding the JSON, as used by published
implementations of GB 45438 (the namespace URI is NOT verified against the standard's text).
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape, unescape

NS = "http://www.tc260.org.cn/ns/AIGC/1.0/"
_ELEM = re.compile(r"<([A-Za-z_][\w.-]*):AIGC(?:\s[^>]*)?>(.*?)</\1:AIGC>", re.S)
_ATTR = re.compile(r"\s([A-Za-z_][\w.-]*):AIGC\s*=\s*(\"([^\"]*)\"|'([^']*)')", re.S)
_ENT = {"&quot;": '"', "&apos;": "'"}
_DESC = f'<rdf:Description rdf:about="" xmlns:TC260="{NS}"><TC260:AIGC>{{value}}</TC260:AIGC></rdf:Description>'


def get_aigc(packet: str) -> str | None:
    """The AIGC JSON in an XMP packet, element or attribute form, or None."""
    m = _ELEM.search(packet)
    if m:
        return unescape(m.group(2), _ENT).strip()
    m = _ATTR.search(packet)
    if m:
        return unescape(m.group(3) if m.group(3) is not None else m.group(4), _ENT)
    return None


def set_aigc(packet: str | None, value: str) -> str:
    """Return a packet carrying `value`: replace an existing AIGC property, else add a Description."""
    esc = escape(value, _ENT_REV)
    if packet:
        if _ELEM.search(packet):
            return _ELEM.sub(lambda m: f"<{m.group(1)}:AIGC>{esc}</{m.group(1)}:AIGC>", packet, count=1)
        if "</rdf:RDF>" in packet:
            return packet.replace("</rdf:RDF>", _DESC.format(value=esc) + "</rdf:RDF>", 1)
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        + _DESC.format(value=esc)
        + '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    )


_ENT_REV = {'"': "&quot;"}
