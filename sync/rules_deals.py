"""`has_won_deal` for the leads read in one pass: is an associated opportunity/deal Closed Won?

Only records read this pass are looked up, in full batches, so a watch pass that
reads nothing asks nothing more.

Salesforce: a lead has no opportunity until it is converted; a converted lead's
own opportunity is read with the lead, as the relationship field
`ConvertedOpportunity.IsWon`, so it costs no call. The Salesforce pass evaluates
leads only (contacts are not rules records there), so contacts' opportunities
(OpportunityContactRole, absent from the sandbox, or by AccountId) are not read.

HubSpot, from whichever side costs fewer calls. From the contacts: their deal
associations (v4 batch read, 100 contacts a call, through the connector's
`read_associations(from, to, ids)`), then those deals' `dealstage` (batch read,
100 a call) compared with the portal's Closed Won stage ids. From the deals, when
a pass reads many contacts (a daily sweep): the deals at a won stage (a search,
200 a page; its first page's total says whether they are few enough, so a
portal with many won deals costs that one search and goes the contacts' way),
then their contact associations, 100 deals a call. A search trails writes by a
few seconds, so a deal won in those seconds counts from the next pass on. A
connector without `read_associations` leaves the flag unknown (null).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from integrations.base import Connector, Record

SF_CONVERTED = "IsConverted"
SF_WON_READ = "ConvertedOpportunity.IsWon"  # read with the lead (see SALESFORCE.lead_extra_reads)
HS_CONTACTS, HS_DEALS, HS_STAGE = "contacts", "deals", "dealstage"
WON_STAGE = "closed_won"  # the canonical opportunity stage that means Closed Won
ASSOCIATED_IDS = "read_associations"  # HubSpot connector method (absent: flag unknown)
FIND_FEW = "find_few"  # HubSpot connector method (absent: always from the contacts)
PER_ASSOCIATION_READ = 100  # ids per v4 association batch read
PER_SEARCH_PAGE = 200
DEALS_SIDE_FROM = 1_000  # contacts a pass reads before the deals' side is worth a look

AssociationReader = Callable[[str, str, Sequence[str]], Mapping[str, Sequence[str]]]


def won_deals(
    connector: Connector, records: Sequence[Record], won_stage_ids: frozenset[str]
) -> dict[str, bool]:
    """Lead/contact id -> whether an associated deal is won; ids left out are unknown.

    Args:
        connector: the CRM the records were read from.
        records: the leads (Salesforce) or contacts (HubSpot) read this pass.
        won_stage_ids: HubSpot deal stage ids that mean Closed Won (unused for Salesforce).
    """
    if not records:
        return {}
    if connector.system == "salesforce":
        return _salesforce(records)
    reader: AssociationReader | None = getattr(connector, ASSOCIATED_IDS, None)
    if reader is None or not won_stage_ids:
        return {}
    return _hubspot(connector, reader, [r.id for r in records], won_stage_ids)


def _salesforce(records: Sequence[Record]) -> dict[str, bool]:
    """Unconverted leads: False; converted ones: whether their opportunity is won."""
    return {r.id: bool(r.fields.get(SF_CONVERTED) and r.fields.get(SF_WON_READ)) for r in records}


def _hubspot(
    connector: Connector,
    reader: AssociationReader,
    contact_ids: list[str],
    won_stage_ids: frozenset[str],
) -> dict[str, bool]:
    """Contacts with a deal at a won stage: True; the others read: False."""
    from_deals = _from_won_deals(connector, reader, contact_ids, won_stage_ids)
    if from_deals is not None:
        return from_deals
    linked = reader(HS_CONTACTS, HS_DEALS, contact_ids)
    deal_ids = sorted({str(d) for deals in linked.values() for d in deals})
    stages = connector.read_by_ids(HS_DEALS, deal_ids, [HS_STAGE]) if deal_ids else []
    won = {d.id for d in stages if d.fields.get(HS_STAGE) in won_stage_ids}
    return {c: any(str(d) in won for d in linked.get(c, ())) for c in contact_ids}


def _from_won_deals(
    connector: Connector,
    reader: AssociationReader,
    contact_ids: list[str],
    won_stage_ids: frozenset[str],
) -> dict[str, bool] | None:
    """The flags from the won deals' side, or None when the contacts' side costs less.

    The contacts' side costs at least one call per 100 contacts; the deals' side one
    per 200 won deals (search) plus one per 100 (associations), so it is taken while
    the won deals number under two thirds of the contacts (less the first search).
    """
    find_few = getattr(connector, FIND_FEW, None)
    if find_few is None or len(contact_ids) < DEALS_SIDE_FROM:
        return None
    contact_calls = -(-len(contact_ids) // PER_ASSOCIATION_READ)
    # won deals w: w/200 + w/100 + 2 calls at most, against contact_calls.
    at_most = (
        (contact_calls - 2)
        * PER_SEARCH_PAGE
        * PER_ASSOCIATION_READ
        // (PER_SEARCH_PAGE + PER_ASSOCIATION_READ)
    )
    won = find_few(HS_DEALS, HS_STAGE, sorted(won_stage_ids), [HS_STAGE], at_most)
    if won is None:
        return None
    linked = reader(HS_DEALS, HS_CONTACTS, [d.id for d in won]) if won else {}
    winners = {str(c) for contacts in linked.values() for c in contacts}
    return {c: c in winners for c in contact_ids}


def won_stage_ids(stage_values: Mapping[str, str], stage_ids: Mapping[str, str]) -> frozenset[str]:
    """HubSpot stage ids meaning Closed Won: the label the rules file maps closed_won to.

    Args:
        stage_values: the rules file's HubSpot values for `closed_won` (e.g. dealstage_label).
        stage_ids: the portal's deal stage label -> id.
    """
    labels = {str(v) for v in stage_values.values()}
    return frozenset(stage_ids[label] for label in labels if label in stage_ids)
