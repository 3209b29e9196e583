import { describe, expect, it } from 'vitest';
import { loadConfig, port } from './config.js';

describe('port setting', () => {
  const settings = { uiPort: port('UI_PORT', 'web UI port', 8233) };

  it('takes the default when unset and a port number when given', () => {
    expect(loadConfig(settings, {}).uiPort).toBe(8233);
    expect(loadConfig(settings, { UI_PORT: '18233' }).uiPort).toBe(18233);
  });

  it('refuses by name a value that is not a port number', () => {
    for (const raw of ['web', '0', '65536', '-1'])
      expect(() => loadConfig(settings, { UI_PORT: raw })).toThrow(`UI_PORT: expected`);
  });
});
