"""Identifiers in OFAC remarks: passports, national ids, registry numbers, addresses online.

A survey of the clause labels of every published copy found some 110 labels; each maps to
an identifier kind here. A label not listed leaves its clause in the remarks' ``rest``.
"""

from __future__ import annotations

import re

from application.importers.records import ParsedIdentifier

# Identifier labels as OFAC writes them, mapped to the identifier kind. Found by surveying the
# clause labels of all published copies; a label not listed here leaves its clause in ``rest``.
IDENTIFIER_KINDS: dict[str, str] = {
    "Passport": "passport",
    "Diplomatic Passport": "passport",
    "Passport Booklet": "passport",
    "British National Overseas Passport": "passport",
    "Stateless Person Passport": "passport",
    "National ID No.": "national_id",
    "Cedula No.": "national_id",
    "C.U.R.P.": "national_id",
    "C.U.R.P. #": "national_id",
    "D.N.I.": "national_id",
    "Personal ID Card": "national_id",
    "National Foreign ID Number": "national_id",
    "Citizen's Card Number": "national_id",
    "Turkish Identification Number": "national_id",
    "Numero de Identidad": "national_id",
    "C.U.I.": "national_id",
    "Credencial electoral": "national_id",
    "Electoral Registry No.": "national_id",
    "I.F.E.": "national_id",
    "Kenyan ID No.": "national_id",
    "Tazkira National ID Card": "national_id",
    "Bosnian Personal ID No.": "national_id",
    "CNP (Personal Numerical Code)": "national_id",
    "SSN": "national_id",
    "Tax ID No.": "tax_id",
    "R.F.C.": "tax_id",
    "R.F.C. #": "tax_id",
    "RFC": "tax_id",
    "NIT #": "tax_id",
    "RUC #": "tax_id",
    "RIF #": "tax_id",
    "V.A.T. Number": "tax_id",
    "C.U.I.T.": "tax_id",
    "Italian Fiscal Code": "tax_id",
    "US FEIN": "tax_id",
    "C.I.F.": "tax_id",
    "N.I.F.": "tax_id",
    "Fiscal Code": "tax_id",
    "RTN": "tax_id",
    "RSIN": "tax_id",
    "Paraguayan tax identification number": "tax_id",
    "Romanian Tax Registration": "tax_id",
    "Registration Number": "registration_number",
    "Registration ID": "registration_number",
    "Business Registration Number": "registration_number",
    "Business Registration Document #": "registration_number",
    "Business Number": "registration_number",
    "Company Number": "registration_number",
    "UK Company Number": "registration_number",
    "Commercial Registry Number": "registration_number",
    "Government Gazette Number": "registration_number",
    "Unified Social Credit Code (USCC)": "registration_number",
    "United Social Credit Code Certificate (USCCC)": "registration_number",
    "Legal Entity Number": "registration_number",
    "Economic Register Number (CBLS)": "registration_number",
    "C.R. No.": "registration_number",
    "Matricula Mercantil No": "registration_number",
    "Folio Mercantil No.": "registration_number",
    "Trade License No.": "registration_number",
    "License": "registration_number",
    "Chamber of Commerce Number": "registration_number",
    "Central Registration System Number": "registration_number",
    "Istanbul Chamber of Comm. No.": "registration_number",
    "Dubai Chamber of Commerce Membership No.": "registration_number",
    "Enterprise Number": "registration_number",
    "Branch Unit Number": "registration_number",
    "Public Registration Number": "registration_number",
    "Certificate of Incorporation Number": "registration_number",
    "Registered Charity No.": "registration_number",
    "Organization Code": "registration_number",
    "Registration Certificate Number (Dubai)": "registration_number",
    "MSB Registration Number": "registration_number",
    "IMO": "imo",
    "Vessel Registration Identification IMO": "imo",
    "Identification Number IMO": "imo",
    "Company Number IMO": "imo",
    "MMSI": "mmsi",
    "SWIFT/BIC": "swift_bic",
    "Email Address": "email",
    "Email": "email",
    "Website": "website",
    "Phone Number": "phone",
    "Phone No.": "phone",
    "Telephone": "phone",
    "Telephone No.": "phone",
    "Fax": "fax",
    "Fax No.": "fax",
    "Aircraft Tail Number": "aircraft_tail_number",
    "Previous Aircraft Tail Number": "aircraft_tail_number",
    "Aircraft Manufacturer's Serial Number (MSN)": "aircraft_serial_number",
    "Aircraft Serial Identification": "aircraft_serial_number",
    "Identification Number": "other",
    "Vessel Registration Identification": "other",
    "Aircraft Construction Number (also called L/N or S/N or F/N)": "other",
    "Aircraft Mode S Transponder Code": "other",
    "Birth Certificate Number": "other",
    "Driver's License No.": "other",
    "Residency Number": "other",
    "Travel Document Number": "other",
    "Refugee ID Card": "other",
    "Cartilla de Servicio Militar Nacional": "other",
    "Military Registration Number": "other",
    "D-U-N-S Number": "other",
    "Chinese Commercial Code": "other",
    "Permit Number": "other",
    "LE Number": "other",
    "File Number": "other",
    "BIK (RU)": "other",
    "ISIN": "other",
}
# Labels that say no more than their kind does; any other label is kept in the note.
PLAIN_LABELS = frozenset(
    {
        "Passport",
        "National ID No.",
        "Tax ID No.",
        "Registration Number",
        "IMO",
        "Vessel Registration Identification IMO",
        "MMSI",
        "SWIFT/BIC",
        "Email Address",
        "Website",
        "Phone Number",
        "Fax",
        "Aircraft Tail Number",
        "Aircraft Manufacturer's Serial Number (MSN)",
    }
)
CURRENCY_LABEL = r"Digital Currency Address - [A-Z0-9]+"
LABELS = "|".join(
    [CURRENCY_LABEL, *(re.escape(label) for label in sorted(IDENTIFIER_KINDS, key=len)[::-1])]
)
IDENTIFIER = re.compile(
    rf"(?P<label>{LABELS}) +(?P<value>\S.*?)"
    r"(?: \((?P<country>[^()\d]+)\))?"
    r"(?: (?P<validity>(?:issued|expires) .+))?"
)


def parse_identifier(body: str) -> ParsedIdentifier | None:
    """``Passport B00002095 (Bangladesh) issued 04 Mar 2020 expires 03 Mar 2030`` and the like."""
    match = IDENTIFIER.fullmatch(body)
    if match is None:
        return None
    label = match["label"]
    kind = IDENTIFIER_KINDS.get(label, "digital_currency_address")  # the one pattern label
    note_parts = [part for part in (_label_note(label), match["validity"]) if part]
    return ParsedIdentifier(
        kind=kind,
        value=match["value"],
        country=match["country"],
        note="; ".join(note_parts) or None,
    )


def _label_note(label: str) -> str | None:
    """The source label when the kind alone does not say it (``Cedula No.``, ``XBT`` ...)."""
    return None if label in PLAIN_LABELS else label
