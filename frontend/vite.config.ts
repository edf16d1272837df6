import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The SPA is served where the API's FRONTEND_URL points by default
// (http://localhost:5173): its emails link to pages of this app.
export default defineConfig({
  plugins: [react()],
  server: { port: 5173, strictPort: true },
  preview: { port: 5173, strictPort: true },
});
