import { identityModule } from '../modules/identity/module.ts';
import type { ModuleDefinition } from '../shared/modules/define-module.ts';

/** Every module, as imported objects (never names in strings), in start order. */
export const allModules: readonly ModuleDefinition[] = [identityModule as ModuleDefinition];
