"""What a UN list file may not hold, because the parser would drop or bend it without a word.

The list has no DTD, so a ``DOCTYPE`` (internal subset or external DTD) is refused before any
entry is read: its entities are neither expanded nor fetched, and a reference to one (in text
or in an attribute) would silently vanish from the text. XInclude elements, comments and
processing instructions inside an entry (they would cut the entry's text short) are refused
too. The file must be UTF-8, as the UN publishes it, and no text may hold a character the
ledger does not accept (``domain.text``). Each refusal is a ``MalformedPublication`` naming
the line.
"""

from __future__ import annotations

from typing import Final

from lxml import etree

from application.importers.records import (
    FORBIDDEN_CHARACTER,
    MalformedPublication,
    describe_character,
)

XINCLUDE_NAMESPACES: Final = ("http://www.w3.org/2001/XInclude", "http://www.w3.org/2003/XInclude")
# Nodes inside an element that end the text the parser reads. An entity reference can only
# appear under a DOCTYPE, refused first; it is listed so that it can never slip through.
HIDDEN_NODES: Final = (
    (etree._Comment, "a comment"),
    (etree._ProcessingInstruction, "a processing instruction"),
    (etree._Entity, "an entity reference"),
)


def refuse_doctype(root: etree._Element, source: str) -> None:
    """Refuse any DOCTYPE: the list has none, and its entities would silently vanish."""
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        external = info.system_url or info.public_id
        what = f"a DOCTYPE with the external DTD {external!r}" if external else "a DOCTYPE"
        message = f"{what} precedes the root element; DTDs and entities are refused"
        raise MalformedPublication(source, line_of(root), message)


def refuse_xinclude(element: etree._Element, source: str) -> None:
    """Refuse an XInclude element: what it includes would not be read, nor should it be."""
    tag = etree.QName(element)
    if tag.namespace in XINCLUDE_NAMESPACES:
        message = f"the XInclude element {tag.localname} is refused"
        raise MalformedPublication(source, line_of(element), message)


def refuse_other_encoding(root: etree._Element, source: str) -> None:
    """Refuse a file declared in another encoding than UTF-8, the one the UN publishes in.

    Bytes that are not UTF-8 in a file declared (or assumed) UTF-8 already fail to parse; a
    file declared ISO-8859-1 would instead be read, and its UTF-8 names turned to mojibake.
    The parser knows the declared encoding only once the whole file is read.
    """
    encoding = root.getroottree().docinfo.encoding or "UTF-8"  # None: none was declared
    if encoding.replace("-", "").replace("_", "").casefold() != "utf8":
        message = f"the file is declared in {encoding}; the UN list is published in UTF-8"
        raise MalformedPublication(source, 1, message)


def refuse_hidden_content(entry: etree._Element, source: str) -> None:
    """Refuse what the entry's text would silently lose or carry unseen.

    A comment, processing instruction or entity reference inside an element ends the text
    the parser reads (``RI<!-- -->WON HO`` reads as ``RI``); a control character or
    non-character would be stored invisibly.
    """
    for node in entry.iter():
        for node_type, kind in HIDDEN_NODES:
            if isinstance(node, node_type):
                parent = node.getparent()
                inside = str((parent if parent is not None else entry).tag)
                message = f"{kind} inside {inside}; entries may hold only elements and text"
                raise MalformedPublication(source, line_of(node), message)
        refuse_forbidden_characters(node.text, str(node.tag), line_of(node), source)
        if node is not entry:
            where = f"the text after {node.tag!s}"
            refuse_forbidden_characters(node.tail, where, line_of(node), source)


def refuse_forbidden_characters(text: str | None, where: str, line: int, source: str) -> None:
    """Refuse a text holding a forbidden character, on the line the character is on.

    ``line`` is where the text starts, exact for an element's text; a text after an element
    starts where that element ends, which lxml does not say, so its start is used instead.
    """
    found = FORBIDDEN_CHARACTER.search(text or "")
    if found is None:
        return
    line += (text or "")[: found.start()].count("\n")
    message = f"{where} holds the {describe_character(found.group())}; it is not text"
    raise MalformedPublication(source, line, message)


def line_of(node: etree._Element) -> int:
    """Where the node starts in the source (0 where lxml does not know it)."""
    return node.sourceline or 0
