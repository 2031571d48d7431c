CREATE SEQUENCE IF NOT EXISTS probesink.poison_attempts;
