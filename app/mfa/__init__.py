"""The second factor: TOTP authenticators, recovery codes, sign-in challenges.

`gate.begin_sign_in` is what every way in calls once it knows the user: it
starts the session, or a challenge when the user has a second factor.
"""
