"""Evaluate 100,000 generated leads against config/sop.yaml; print leads/s and peak memory."""

from __future__ import annotations

import gc
import random
import resource
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rules.engine import compile_rules, evaluate_lead
from rules.lead import CanonicalLead
from rules.loader import load_rules

COUNT = 100_000
BATCH = 200
NOW = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
TITLES = ["Owner", "Office Manager", "Homeowner", "VP Operations", "Clerk", None, "Co-owner"]
INDUSTRIES = ["Real Estate", "REAL_ESTATE", "Retail", "Software", None, "construction"]
SOURCES = ["Marketplace", "Website", "Phone", "Referral", "Repeat Customer", "Social", None]
SERVICES = ["Emergency", "Urgent", "Standard", "New Construction", "Commercial", None]
STAGES = ["new", "contacted", "engaged", "qualified", "appointment_set", "sold", "lost", "Odd"]


def _maybe_time(rng: random.Random, days: int) -> datetime | None:
    if rng.random() < 0.5:
        return None
    return NOW - timedelta(minutes=rng.randint(-2 * 1440, days * 1440))


def generate(rng: random.Random, index: int) -> dict[str, object]:
    """One random canonical lead as a plain mapping."""
    return {
        "id": f"00Q{index:012d}",
        "crm": "salesforce",
        "title": rng.choice(TITLES),
        "employees": rng.choice([None, 3, 60, 900]),
        "industry": rng.choice(INDUSTRIES),
        "lead_source": rng.choice(SOURCES),
        "service_type": rng.choice(SERVICES),
        "website_visits": rng.randint(0, 12),
        "content_downloads": rng.randint(0, 4),
        "email_opens": rng.randint(0, 3),
        "email_clicks": rng.randint(0, 1),
        "form_submissions": rng.randint(0, 2),
        "demo_requested_at": _maybe_time(rng, 20),
        "pricing_inquiry_at": _maybe_time(rng, 20),
        "budget": rng.choice([None, "yes"]),
        "authority": rng.choice([None, True]),
        "need": rng.choice([None, "roof"]),
        "timeline": rng.choice([None, "Q2"]),
        "opted_out": rng.random() < 0.1,
        "stage": rng.choice(STAGES),
        "created_at": NOW - timedelta(minutes=rng.randint(1, 200 * 1440)),
        "first_outreach_at": _maybe_time(rng, 30),
        "last_inbound_at": _maybe_time(rng, 30),
        "stage_changed_at": _maybe_time(rng, 100),
        "appointment_at": _maybe_time(rng, 5),
        "appointment_completed_at": _maybe_time(rng, 5),
        "contact_verified_at": _maybe_time(rng, 200),
        "has_won_deal": rng.random() < 0.05,
        "owner_id": rng.choice([None, "005A", "005B"]),
    }


def main() -> None:
    """Build the leads, then time evaluation alone (validation is not on the hot path)."""
    compiled = compile_rules(load_rules())
    rng = random.Random(6)
    started = time.perf_counter()
    leads = [CanonicalLead.from_mapping(generate(rng, i)) for i in range(COUNT)]
    built = time.perf_counter() - started
    # The 100,000 inputs stay alive only because this script holds them all; `rules run`
    # streams records. Freezing keeps the collector from re-scanning them on every pass.
    gc.freeze()
    # As `rules run` does: decisions are consumed batch by batch (200, Salesforce's batch).
    # CPU time of this process is the one-core figure; wall time also counts other load.
    started, cpu_started = time.perf_counter(), time.process_time()
    tasks = 0
    for start in range(0, COUNT, BATCH):
        batch = [evaluate_lead(compiled, lead, NOW) for lead in leads[start : start + BATCH]]
        tasks += sum(len(d.tasks) for d in batch)
    streamed, streamed_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    started = time.perf_counter()
    decisions = [evaluate_lead(compiled, lead, NOW) for lead in leads]
    kept_all = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    del decisions
    tracemalloc.start()
    kept = [evaluate_lead(compiled, lead, NOW) for lead in leads]
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"leads: {COUNT}, tasks decided: {tasks}")
    print(f"build + validate (from_mapping, not timed below): {COUNT / built:,.0f} leads/s")
    print(
        f"evaluate, all rules, batches of {BATCH}: {COUNT / streamed_cpu:,.0f} leads/s "
        f"per CPU second ({COUNT / streamed:,.0f} leads/s wall clock)"
    )
    print(f"evaluate, all rules, keeping all {COUNT} decisions: {COUNT / kept_all:,.0f} leads/s")
    print(
        f"peak memory: {peak / 1e6:.0f} MB traced for {len(kept)} decisions; max RSS {rss:.0f} MB"
    )


if __name__ == "__main__":
    main()
