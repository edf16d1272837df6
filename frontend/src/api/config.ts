/** Where the API lives: `VITE_API_URL` at build time, else a local `./start.sh`. */
export const API_URL: string = import.meta.env.VITE_API_URL ?? 'http://localhost:8000';
