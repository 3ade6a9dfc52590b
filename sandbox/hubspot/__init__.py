"""A local stand-in for the HubSpot CRM API (v3 objects, v4 associations) the real SDK talks to.

Modelling choices where HubSpot's behaviour is not fully documented:

- Search index lag: search sees a record only once its last write is older than
  `options.search_lag_seconds` (default 10 s); a record created or changed inside the
  lag is absent from search (not shown in its older state), while reads by id see it
  at once. A cursor that searches up to "now" therefore misses exactly those records.
- Merge: the loser's id keeps answering GET with the winner (a different `id` in the
  body); the loser is gone from lists, searches and the archive.
- 429s carry `Retry-After` (seconds until the window frees up; 1 for the search rate;
  seconds to UTC midnight for the daily budget). Search answers carry no
  `X-HubSpot-RateLimit-*` headers and count against the search rate, not the 10 s window.
- A batch naming one id twice is refused (400), so clearing a lifecycle stage and
  setting an earlier one must go in two calls.
"""
