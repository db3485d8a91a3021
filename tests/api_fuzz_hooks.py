"""Checks the API fuzzing (tests/api_fuzz.rs) adds to schemathesis's own, for the runs that
send every generated request as a hostile web page would: with a foreign Origin, or through
a DNS name re-pointed at the service (a foreign Host). Loaded with SCHEMATHESIS_HOOKS."""

import os

import schemathesis

CHANGES = {"POST", "PUT", "PATCH", "DELETE"}


@schemathesis.check
def cross_site_changes_are_refused(ctx, response, case):
    """With SSISD_FUZZ_HOSTILE=origin: no change may succeed, and its refusal is a 403 (or an
    earlier 4xx such as a bad Host or credentials)."""
    if os.environ.get("SSISD_FUZZ_HOSTILE") != "origin":
        return None
    if case.method.upper() in CHANGES and response.status_code < 400:
        raise AssertionError(
            f"{case.method} {case.path} from a foreign web origin was answered "
            f"{response.status_code}; changes from another origin must be refused (403)"
        )
    return None


@schemathesis.check
def foreign_host_is_refused(ctx, response, case):
    """With SSISD_FUZZ_HOSTILE=host: every request naming another host is refused with 400."""
    if os.environ.get("SSISD_FUZZ_HOSTILE") != "host":
        return None
    if response.status_code != 400:
        raise AssertionError(
            f"{case.method} {case.path} with a foreign Host was answered "
            f"{response.status_code}; it must be refused (400)"
        )
    return None
