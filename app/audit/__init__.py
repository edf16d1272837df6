"""The audit trail's writer: security events recorded with the work they record.

Listing them for the API is `app.services.audit`.
"""
