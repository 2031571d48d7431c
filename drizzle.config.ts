import { defineConfig } from 'drizzle-kit';

// One module at a time: MODULE=inventory drizzle-kit generate (npm run db:generate does all);
// MODULE=platform is the platform's own tables (src/shared/db/platform-schema.ts).
const module = process.env.MODULE;
if (!module) throw new Error('Set MODULE to the module whose migrations to generate, e.g. MODULE=identity');

export default defineConfig({
  dialect: 'postgresql',
  schema: module === 'platform' ? './src/shared/db/platform-schema.ts' : `./src/modules/${module}/db/schema.ts`,
  out: `./migrations/${module}`,
  schemaFilter: [module],
  dbCredentials: { url: process.env.DATABASE_URL ?? 'postgres://localhost/shareloop' },
});
