"""The quota use cases, one module each; this is the package's one door to them.

limits.py    the agreement in force for a booking; the guarded weekly counters (charge, refund)
usage.py     what people see: a worker's week, the enterprise and host reports
no_shows.py  the host's no-show policy and the suspensions it hands out
"""

from .limits import (
    agreement_for,
    agreement_terms,
    charge,
    charge_enterprise,
    charge_worker,
    load_agreement_terms,
    quota_exceeded,
    refund,
    shared_facility_ids,
    worker_limit,
)
from .no_shows import (
    POLICY_BOUNDS,
    POLICY_DEFAULTS,
    active_suspension,
    enterprise_suspensions,
    no_show_policy,
    set_no_show_policy,
)
from .usage import agreement_for_host, agreements_of, host_report, my_quota, quota_at_host, week_usage

__all__ = [
    "agreement_for",
    "agreement_terms",
    "charge",
    "charge_enterprise",
    "charge_worker",
    "load_agreement_terms",
    "quota_exceeded",
    "refund",
    "shared_facility_ids",
    "worker_limit",
    "POLICY_BOUNDS",
    "POLICY_DEFAULTS",
    "active_suspension",
    "enterprise_suspensions",
    "no_show_policy",
    "set_no_show_policy",
    "agreement_for_host",
    "agreements_of",
    "host_report",
    "my_quota",
    "quota_at_host",
    "week_usage",
]
