"""The SOP rules: pure evaluation of canonical records against a rules file; no I/O, no clock.

Public API (for `rules run`, `watch`, `explain` and the demo)::

    from rules.loader import load_rules           # load_rules(path=None) -> RulesFile
    from rules.engine import compile_rules        # compile_rules(RulesFile) -> Compiled (once)
    from rules.engine import evaluate_lead, evaluate_opportunity
    from rules.lead import CanonicalLead, CanonicalOpportunity, RecordError
    from rules.explain import explain, breakdown_text, decision_to_dict

    rules = load_rules(path)                      # ConfigFileError: every problem, file:line
    compiled = compile_rules(rules)
    lead = CanonicalLead.from_mapping(mapped, compiled.extra_types["lead"])  # RecordError
    decision = evaluate_lead(compiled, lead, now, owner_usable=None)          # LeadDecision
    compiled.stage_values("salesforce", "lead", decision.stage.to)  # {"Status": "..."}
    compiled.stage_from_values("hubspot", "lead", {"hs_lead_status": ..., "lifecyclestage": ...})

A LeadDecision carries score, breakdown (entries sum to the score), temperature,
salesforce_rating, stage (StageMove from_/to/reason), stage_unmapped,
stage_changed_at, routing (owner email for leads without a usable owner), tasks
(TaskDecision with a deterministic key `rule:record:step`), missed (scheduled
tasks past the maximum lateness) and defer_outreach (opted out: close open
outreach tasks as Deferred with deferral_note). Task assignees are CRM user ids
(assignee_kind "user_id") or owner emails from the rules file ("email").
"""
