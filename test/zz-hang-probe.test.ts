import { test, after } from 'node:test';
import { startTestHost } from '/work/main/test/support/test-host.ts';
import { identityModule } from '/work/main/src/modules/identity/module.ts';
test('x', async () => {
  const host = await startTestHost([identityModule], {});
  await host.stop();
  setTimeout(() => { console.log((process as any)._getActiveHandles().map((h: any) => h.constructor?.name + ' ' + (h.remotePort ?? h._idleTimeout ?? ''))); }, 2000).unref();
});
