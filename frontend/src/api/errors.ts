/**
 * Turn an API error body into a sentence. Gatehouse answers `{"detail": CODE}`
 * (a stable upper-case code), `{"detail": {"code", "reason"}}` or, for invalid
 * input, `{"detail": [{"loc", "msg"}]}`. Only the codes are relied on here.
 */
const MESSAGES: Record<string, string> = {
  LOGIN_BAD_CREDENTIALS: 'Wrong email or password, or the account is deactivated.',
  LOGIN_USER_NOT_VERIFIED: 'Verify your email address first.',
  REGISTER_USER_ALREADY_EXISTS: 'An account with this email already exists.',
  VERIFY_USER_BAD_TOKEN: 'This verification link is invalid or has expired.',
  VERIFY_USER_ALREADY_VERIFIED: 'This email address is already verified.',
  RESET_PASSWORD_BAD_TOKEN: 'This reset link is invalid or has expired.',
  INVALID_CURRENT_PASSWORD: 'The current password is wrong.',
  UPDATE_USER_EMAIL_ALREADY_EXISTS: 'Another account uses this email.',
  RATE_LIMITED: 'Too many attempts: wait a minute and try again.',
  CANNOT_DEACTIVATE_SELF: 'You cannot deactivate your own account.',
  LAST_SUPERUSER: 'This is the last active superuser.',
  LAST_LOGIN_METHOD: 'This is your last way to sign in: set a password (Forgot your password?) or connect another provider first.',
  OAUTH_ACCOUNT_EXISTS: 'An account already uses this email: sign in with your password, then connect the provider from your profile.',
  OAUTH_EMAIL_NOT_VERIFIED: 'The provider has not verified your email address.',
  OAUTH_EMAIL_MISSING: 'The provider did not share an email address.',
  OAUTH_USER_INACTIVE: 'This account is deactivated.',
  OAUTH_STATE_INVALID: 'This sign-in expired or was started in another browser: try again.',
  OAUTH_ACCESS_DENIED: 'The sign-in was cancelled at the provider.',
  OAUTH_PROVIDER_ERROR: 'The provider could not be reached: try again later.',
  OAUTH_ID_TOKEN_INVALID: 'The provider\'s answer could not be trusted: try again.',
  OAUTH_REAUTHENTICATION_REQUIRED: 'Sign in again (within the last 10 minutes) to connect a provider.',
  OAUTH_IDENTITY_IN_USE: 'This identity is already connected to another account.',
  OAUTH_PROVIDER_UNKNOWN: 'This sign-in provider is not available.',
  OAUTH_INVALID_REQUEST: 'The sign-in link is not valid.',
  PERMISSION_DENIED: 'Your account does not have the permission for this.',
  ROLE_ALREADY_EXISTS: 'A role with this slug exists already.',
  ROLE_IS_SYSTEM: 'A system role cannot be changed or deleted.',
  ROLE_NOT_FOUND: 'There is no such role.',
  MFA_CODE_INVALID: 'That code is wrong or was already used.',
  MFA_CODE_REQUIRED: 'Enter a code from your authenticator app (or a recovery code).',
  MFA_CHALLENGE_EXPIRED: 'This sign-in has expired: start over with your password.',
  MFA_CHALLENGE_MISSING: 'This sign-in has expired: start over with your password.',
};

export function describeError(error: unknown, response?: Response): string {
  const detail = (error as { detail?: unknown } | undefined)?.detail;
  if (typeof detail === 'string') return MESSAGES[detail] ?? detail;
  if (Array.isArray(detail)) {
    return detail
      .map((field: { loc?: unknown[]; msg?: string }) => `${String(field.loc?.at(-1) ?? 'input')}: ${field.msg ?? 'invalid'}`)
      .join('; ');
  }
  if (detail && typeof detail === 'object') {
    const { code, reason } = detail as { code?: string; reason?: string };
    if (reason) return reason;
    if (code) return MESSAGES[code] ?? code;
  }
  if (response) return `The server answered ${response.status}.`;
  return 'The server could not be reached.';
}
