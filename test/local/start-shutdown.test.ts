import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../local/free-port';
import { loadSigningKey, mintToken } from '../../local/local-jwt';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let dataDir: string | undefined;
afterAll(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('stops on a Ctrl+C to its terminal with the writes in flight finished, and leaves no Java behind', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'crm-start-'));
    // As `npm start` runs it, in a process group of its own, as a terminal's foreground job: the Ctrl+C below reaches every process in it.
    const start = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], {
      cwd: ROOT,
      detached: true,
      env: { ...process.env, CRM_DATA_DIR: dataDir, PORT: String(await findFreePort()), CRM_LOCAL_SMTP_PORT: '0', CRM_LOCAL_PRINT_EVENTS: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    start.stdout.on('data', (chunk) => (output += chunk));
    start.stderr.on('data', (chunk) => (output += chunk));
    const exited = once(start, 'exit');
    try {
      while (!output.includes('Press Ctrl+C')) {
        if (start.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
        await new Promise((wake) => setTimeout(wake, 200));
      }
      const apiUrl = /CRM API\s+(\S+)/.exec(output)![1]!;
      const dynamodbUrl = /DynamoDB\s+(\S+)/.exec(output)![1]!;
      const token = await mintToken(loadSigningKey(join(dataDir, 'local-signing-key.json')), { kind: 'user', id: 'shutdown-admin', role: 'admin' });
      // Each create leaves the stream consumers derived items to write after it answered.
      const created = await Promise.all(
        Array.from({ length: 40 }, (_, n) =>
          fetch(`${apiUrl}/v1/contacts`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ firstName: `Stop${n}`, lastName: 'Early', email: `stop-${n}@shutdown.example` }),
          }).then((response) => response.status),
        ),
      );
      expect(created).toEqual(Array(40).fill(201));

      process.kill(-start.pid!, 'SIGINT');
      const [code] = await Promise.race([exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`npm start did not stop within 30 s:\n${output}`)), 30_000))]);
      expect(code).toBe(0);
      expect(output).toContain('SIGINT: stopping');
      // Java used to get the Ctrl+C too and die first: the consumers then failed to reach it.
      expect(output).not.toMatch(/ECONNREFUSED|\[streams\] poll failed/);
      await expect(fetch(dynamodbUrl)).rejects.toThrow();
    } finally {
      // Java is in the group: a stop that hangs is ended for both.
      if (start.exitCode === null && start.signalCode === null) {
        process.kill(-start.pid!, 'SIGTERM');
        await Promise.race([exited, new Promise((wake) => setTimeout(wake, 20_000))]);
        if (start.exitCode === null && start.signalCode === null) process.kill(-start.pid!, 'SIGKILL');
      }
    }
  }, 90_000);
});
