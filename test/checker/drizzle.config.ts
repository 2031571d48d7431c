import { defineConfig } from 'drizzle-kit';

// Migrations of the checker's test-only modules: MODULE=probe|probesink drizzle-kit generate --config test/checker/drizzle.config.ts
const module = process.env.MODULE ?? 'probe';

export default defineConfig({
  dialect: 'postgresql',
  schema: `./test/checker/${module}-db.ts`,
  out: `./test/checker/migrations/${module}`,
  schemaFilter: [module],
});
