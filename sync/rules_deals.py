"""`has_won_deal` for the leads read in one pass: is an associated opportunity/deal Closed Won?

Only records read this pass are looked up, in full batches, so a watch pass that
reads nothing asks nothing more.

Salesforce: a lead has no opportunity until it is converted; a converted lead's
own opportunity is read with the lead, as the relationship field
`ConvertedOpportunity.IsWon`, so it costs no call. The Salesforce pass evaluates
leads only (contacts are not rules records there), so contacts' opportunities
(OpportunityContactRole, absent from the sandbox, or by AccountId) are not read.

HubSpot: the contact -> deal associations (v4 batch read, 100 contacts a call)
through the connector's `read_associations(from, to, ids)`, then the
deals' `dealstage` (batch read, 100 a call) compared with the portal's Closed
Won stage id. A connector without that method leaves the flag unknown (null).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from integrations.base import Connector, Record

SF_CONVERTED = "IsConverted"
SF_WON_READ = "ConvertedOpportunity.IsWon"  # read with the lead (see SALESFORCE.lead_extra_reads)
HS_CONTACTS, HS_DEALS, HS_STAGE = "contacts", "deals", "dealstage"
WON_STAGE = "closed_won"  # the canonical opportunity stage that means Closed Won
ASSOCIATED_IDS = "read_associations"  # HubSpot connector method (absent: flag unknown)

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
    linked = reader(HS_CONTACTS, HS_DEALS, contact_ids)
    deal_ids = sorted({str(d) for deals in linked.values() for d in deals})
    stages = connector.read_by_ids(HS_DEALS, deal_ids, [HS_STAGE]) if deal_ids else []
    won = {d.id for d in stages if d.fields.get(HS_STAGE) in won_stage_ids}
    return {c: any(str(d) in won for d in linked.get(c, ())) for c in contact_ids}


def won_stage_ids(stage_values: Mapping[str, str], stage_ids: Mapping[str, str]) -> frozenset[str]:
    """HubSpot stage ids meaning Closed Won: the label the rules file maps closed_won to.

    Args:
        stage_values: the rules file's HubSpot values for `closed_won` (e.g. dealstage_label).
        stage_ids: the portal's deal stage label -> id.
    """
    labels = {str(v) for v in stage_values.values()}
    return frozenset(stage_ids[label] for label in labels if label in stage_ids)
