"""fast_bitrix24 (https://github.com/leshchenko1979/fast_bitrix24) on the same bulk jobs as
`cargo bench -p b24`, so the bench can print both side by side on one sandbox and one machine.

    python3 fast_bitrix24_bulk.py import WEBHOOK ROWS RATE BURST
    python3 fast_bitrix24_bulk.py export WEBHOOK

Prints one line of JSON: {"seconds": …, "rows": …}. Import adds ROWS leads with
`call("crm.lead.add", items)` (fast_bitrix24 batches them 50 a request, up to BURST requests
in flight, then RATE a second: its own defaults are 2.0 and 50); export reads every lead with
`get_all("crm.lead.list")` (parallel offset batches) with fast_bitrix24's defaults (its
pool of 50 requests covers a 100,000-row export; turning the velocity policy off crashes
fast_bitrix24 1.8 with a KeyError).
"""

import json
import sys
import time
import warnings

from fast_bitrix24 import Bitrix


def main() -> None:
    job, webhook = sys.argv[1], sys.argv[2]
    if job == "import":
        rows, rate, burst = int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
        b = Bitrix(
            webhook,
            verbose=False,
            requests_per_second=rate,
            request_pool_size=burst,
            ssl=False,
        )
        items = [
            {
                "fields": {
                    "TITLE": f"peer {i}",
                    "NAME": f"Пётр {i}",
                    # The same phone and comment as the rows `b24 import` sends.
                    "PHONE": [{"VALUE": f"+7 903 {i // 10000:03} {i % 10000:04}", "VALUE_TYPE": "WORK"}],
                    "COMMENTS": 'a & b + "q"',
                }
            }
            for i in range(rows)
        ]
        t0 = time.monotonic()
        ids = b.call("crm.lead.add", items)
        seconds = time.monotonic() - t0
        print(json.dumps({"seconds": seconds, "rows": len(ids)}))
    elif job == "export":
        warnings.simplefilter("ignore", UserWarning)  # "selecting all fields and no filter"
        b = Bitrix(webhook, verbose=False, ssl=False)
        t0 = time.monotonic()
        rows = b.get_all("crm.lead.list", params={"select": ["*", "PHONE", "EMAIL"]})
        seconds = time.monotonic() - t0
        print(json.dumps({"seconds": seconds, "rows": len(rows)}))
    else:
        sys.exit(f"unknown job {job!r}: import or export")


if __name__ == "__main__":
    main()
