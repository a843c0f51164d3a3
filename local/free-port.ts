import { createServer } from 'node:net';

/**
 * Asks the OS for a port nobody listens on. Another process could take it between
 * this call and the caller's listen; for a local emulator that race is acceptable.
 */
export async function findFreePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('Could not read the port the OS assigned');
  return address.port;
}
