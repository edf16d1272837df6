"""Social login: Google, GitHub and one OpenID Connect provider, for an SPA.

`providers` builds the enabled providers from the settings (OIDC discovery is
fetched lazily), `identity` is what a provider says about who signed in,
`state` keeps each flow's single-use record server-side, bound to the browser,
and `service` runs the flow and decides which account an identity belongs to.
"""
