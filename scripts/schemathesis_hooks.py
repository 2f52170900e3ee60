"""schemathesis hooks for pgconnect (loaded by scripts/schemathesis.sh via SCHEMATHESIS_HOOKS).

A streamed Test Connection (Accept: application/x-ndjson) is one JSON object per line, each a
CheckEvent. schemathesis validates one document per answer, so this reads every line (a line
that is not a JSON object with an "event" fails the run) and hands over the last one, the
report event, for schema validation.
"""

import json

import schemathesis


@schemathesis.deserializer("application/x-ndjson")
def ndjson(ctx, response):
    lines = [line for line in response.content.decode("utf-8").split("\n") if line.strip()]
    if not lines:
        raise ValueError("a streamed check answered no event")
    events = [json.loads(line) for line in lines]
    for event in events:
        if not isinstance(event, dict) or "event" not in event:
            raise ValueError(f"not a check event: {event!r}")
    if events[-1]["event"] not in ("report", "invalid"):
        raise ValueError(f"the stream did not end with the report: {events[-1]!r}")
    return events[-1]
