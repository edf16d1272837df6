/**
 * The pages the API's emails link to: `FRONTEND_URL + VERIFY_EMAIL_PATH?token=...`
 * and `FRONTEND_URL + RESET_PASSWORD_PATH?token=...`. Keep these equal to the
 * API's settings (the defaults are the same).
 */
export const VERIFY_EMAIL_PATH: string = import.meta.env.VITE_VERIFY_EMAIL_PATH ?? '/verify-email';
export const RESET_PASSWORD_PATH: string = import.meta.env.VITE_RESET_PASSWORD_PATH ?? '/reset-password';
/** Where social login lands: the API's `OAUTH_CALLBACK_PATH`. */
export const OAUTH_CALLBACK_PATH: string = import.meta.env.VITE_OAUTH_CALLBACK_PATH ?? '/auth/callback';
