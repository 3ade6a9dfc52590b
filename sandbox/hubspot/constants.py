"""HubSpot API facts the stand-in answers with: paths, limits, type ids, default properties."""

from __future__ import annotations

OBJECT_TYPES = ("contacts", "companies", "deals", "tasks")
OBJECT_TYPE_IDS = {"contacts": "0-1", "companies": "0-2", "deals": "0-3", "tasks": "0-27"}
# Singular names the v4 API and error messages use ("contact", "CONTACT").
SINGULAR = {"contacts": "contact", "companies": "company", "deals": "deal", "tasks": "task"}

PAGE_LIMIT = 100
BATCH_LIMIT = 100
# Batch reads that ask for property history take fewer inputs (HubSpot refuses more).
HISTORY_BATCH_LIMIT = 50
SEARCH_LIMIT = 200
SEARCH_RESULT_CAP = 10_000
SEARCH_MAX_GROUPS = 5
SEARCH_MAX_FILTERS_PER_GROUP = 6
SEARCH_MAX_FILTERS = 18
OWNERS_PAGE_LIMIT = 500

# The modified-time property moves on every write; contacts name it differently.
MODIFIED_PROPERTY = {
    "contacts": "lastmodifieddate",
    "companies": "hs_lastmodifieddate",
    "deals": "hs_lastmodifieddate",
    "tasks": "hs_lastmodifieddate",
}
CREATED_PROPERTY = {
    "contacts": "createdate",
    "companies": "createdate",
    "deals": "createdate",
    "tasks": "hs_createdate",
}
# What GET answers when the caller names no properties (as HubSpot does).
DEFAULT_PROPERTIES = {
    "contacts": (
        "createdate",
        "email",
        "firstname",
        "hs_object_id",
        "lastmodifieddate",
        "lastname",
    ),
    "companies": ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
    "deals": (
        "amount",
        "closedate",
        "createdate",
        "dealname",
        "dealstage",
        "hs_lastmodifieddate",
        "hs_object_id",
        "pipeline",
    ),
    "tasks": ("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
}

# HUBSPOT_DEFINED default (unlabelled) association type ids, per direction.
DEFAULT_ASSOCIATION_TYPES = {
    ("contacts", "companies"): 279,
    ("companies", "contacts"): 280,
    ("contacts", "deals"): 4,
    ("deals", "contacts"): 3,
    ("deals", "companies"): 341,
    ("companies", "deals"): 342,
    ("tasks", "contacts"): 204,
    ("contacts", "tasks"): 203,
    ("tasks", "companies"): 192,
    ("companies", "tasks"): 191,
    ("tasks", "deals"): 216,
    ("deals", "tasks"): 215,
}

AUTH_CATEGORY = "INVALID_AUTHENTICATION"
RATE_WINDOW_SECONDS = 10
