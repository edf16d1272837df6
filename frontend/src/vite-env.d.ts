/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** The API's origin, e.g. https://api.example.com (default http://localhost:8000). */
  readonly VITE_API_URL?: string;
  readonly VITE_VERIFY_EMAIL_PATH?: string;
  readonly VITE_RESET_PASSWORD_PATH?: string;
  readonly VITE_OAUTH_CALLBACK_PATH?: string;
}
