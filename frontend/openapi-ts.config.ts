// `npm run generate` writes src/client/ from openapi.json (the schema the backend
// exports); never edit src/client/ by hand.
import { defineConfig } from '@hey-api/openapi-ts';

export default defineConfig({
  input: './openapi.json',
  output: 'src/client',
  plugins: [
    // The API's base URL is set at run time (src/api/client.ts), from VITE_API_URL.
    { name: '@hey-api/client-fetch', baseUrl: false },
    '@hey-api/typescript',
    '@hey-api/sdk',
  ],
});
