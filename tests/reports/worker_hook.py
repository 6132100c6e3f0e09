"""Loaded into a real Celery worker by tests/reports/test_upload_worker_killed.py (`celery worker -I ...`).

The first processing run, once its lines are written inside the upload's transaction, records its process id in
the file named by GPO_TEST_HOOK_MARKER and stops there, so the test can kill that process mid-upload. Later runs
(the redelivery, a retry) go through untouched.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from reports.services import uploads

_MARKER = Path(os.environ["GPO_TEST_HOOK_MARKER"])
_real_rejected_rows_insert = uploads._rejected_rows_insert


def _stop_once_mid_upload(*args: Any, **kwargs: Any) -> Any:
    if not _MARKER.exists():
        _MARKER.write_text(str(os.getpid()))
        time.sleep(300)  # killed long before this ends
    return _real_rejected_rows_insert(*args, **kwargs)


uploads._rejected_rows_insert = _stop_once_mid_upload  # type: ignore[assignment]
