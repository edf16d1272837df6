"""Sessions: "this user is signed in on this device", however they signed in.

- `service`: start a session (password login today; social login and the
  second-factor step call the same function), refresh it, end it, list them.
- `store`: the refresh tokens in the database: issue, rotate with reuse
  detection, revoke, read, purge.
- `transport`: the HttpOnly refresh cookie.
- `errors`: what the SPA gets when a session cannot be used.

A session is a refresh-token family (see app/models/refresh_token.py); its access
tokens carry its id (`sid`), so ending it ends them too.
"""
