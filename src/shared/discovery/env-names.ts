/** The environment variables that configure discovery of one module, e.g. INVENTORY_URLS / INVENTORY_DNS. */
export function discoveryEnvNames(module: string): { urls: string; dns: string } {
  const prefix = module.replace(/[^A-Za-z0-9]+/g, '_').toUpperCase();
  return { urls: `${prefix}_URLS`, dns: `${prefix}_DNS` };
}
