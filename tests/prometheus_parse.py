"""Parses /metrics scrapes with prometheus_client (tests/prometheus-parse.sh installs it).

Each file goes through the Prometheus text parser
(`prometheus_client.parser.text_string_to_metric_families`) and the strict OpenMetrics parser
(`prometheus_client.openmetrics.parser.text_string_to_metric_families`, the format `/metrics`
announces); any parse error fails. Every label value must be bounded: no UUID, no URL path, no
number of five digits or more, no long hex string, and no label named like an id or a URL.
Prints {"files": {path: [{"family", "type", "name", "labels", "value"}]}, "problems": [...]};
exits 1 when there is a problem.
"""

import json
import re
import sys

from prometheus_client.openmetrics import parser as openmetrics
from prometheus_client import parser as text

UNBOUNDED_VALUE = [
    ("uuid", re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-")),
    ("url path", re.compile(r"/")),
    ("long number", re.compile(r"\d{5,}")),
    ("hex id", re.compile(r"[0-9a-fA-F]{16,}")),
]
ID_LIKE_NAMES = re.compile(r"(^|_)(id|ids|url|path|uri|delivery|run|sha|token|message|error)$")
HISTOGRAM_LABELS = {"le", "quantile"}


def check_labels(path, sample, problems):
    for name, value in sample.labels.items():
        if name in HISTOGRAM_LABELS:
            continue
        if ID_LIKE_NAMES.search(name):
            problems.append(f"{path}: {sample.name} has an id-like label {name}={value!r}")
        for what, pattern in UNBOUNDED_VALUE:
            if pattern.search(value):
                problems.append(f"{path}: {sample.name} label {name}={value!r} looks like a {what}")


def main(paths):
    problems = []
    files = {}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            body = f.read()
        samples = []
        try:
            for family in text.text_string_to_metric_families(body):
                for s in family.samples:
                    samples.append(
                        {
                            "family": family.name,
                            "type": family.type,
                            "name": s.name,
                            "labels": s.labels,
                            "value": s.value,
                        }
                    )
                    check_labels(path, s, problems)
        except Exception as e:  # the parser raises ValueError and friends
            problems.append(f"{path}: the Prometheus text parser failed: {e!r}")
        try:
            names = [family.name for family in openmetrics.text_string_to_metric_families(body)]
            if len(names) != len(set(names)):
                problems.append(f"{path}: a metric family appears twice")
        except Exception as e:
            problems.append(f"{path}: the OpenMetrics parser failed: {e!r}")
        files[path] = samples
    json.dump({"files": files, "problems": problems}, sys.stdout)
    print()
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
