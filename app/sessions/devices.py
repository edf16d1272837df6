"""Is this sign-in from a device the account has used lately?

A device is a user agent and an IP network (a /24 for IPv4, a /64 for IPv6, so
a home router's changing address stays the same device). The audit trail's
successful logins are the memory; an account's very first login is not "new"
(it is the one that just registered).
"""

from datetime import datetime, timedelta
from ipaddress import ip_network

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.client import ClientInfo
from app.models import AuditEvent, User
from app.models.audit_event import AuditEventKind

# Recent logins compared; an account signing in more often than this within the
# lookback from one device only would be told about another device it used.
RECENT_LOGINS = 200
NETWORK_PREFIX = {4: 24, 6: 64}


def network_of(ip: str | None) -> str | None:
    if ip is None:
        return None
    try:
        address = ip_network(ip)
    except ValueError:
        return ip  # not an address (a test client's "testclient"): compare as is
    prefix = NETWORK_PREFIX[address.version]
    return str(address.supernet(new_prefix=prefix))


async def is_new_device(
    session: AsyncSession,
    user: User,
    client: ClientInfo,
    now: datetime,
    lookback: timedelta,
) -> bool:
    """Whether `client` has not signed in to `user`'s account since `now - lookback`
    (and the account has signed in before). Call it before recording this login."""
    logins = (
        await session.execute(
            select(AuditEvent.ip, AuditEvent.user_agent, AuditEvent.created_at)
            .where(
                AuditEvent.target_user_id == user.id,
                AuditEvent.kind == AuditEventKind.LOGIN_SUCCEEDED.value,
            )
            .order_by(AuditEvent.created_at.desc())
            .limit(RECENT_LOGINS)
        )
    ).all()
    if not logins:
        return False
    network = network_of(client.ip)
    return not any(
        at >= now - lookback
        and agent == client.user_agent
        and network_of(ip) == network
        for ip, agent, at in logins
    )
