"""PostgreSQL advisory lock keys of the reports app, in one place so no two uses meet by accident.

Every lock is a pair of keys (namespace, id): pg_advisory_xact_lock(namespace, id) and the like.
"""

# Writers of lines (shared) and deleters of rows lines reference (exclusive): reports.db.line_references.LOCK.
LINE_REFERENCES_NAMESPACE = 4_710_213
# Claiming an upload for processing (the second key is the upload's id): reports.services.uploads.upload_claim.
UPLOAD_CLAIM_NAMESPACE = 4_710_214
