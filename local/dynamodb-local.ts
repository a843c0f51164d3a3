import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { findFreePort } from './free-port';

/**
 * Runs AWS's own DynamoDB Local engine (the jar shipped in the npm package
 * amplify-dynamodb-simulator) as a Java child process, so local runs and tests hit
 * the same validation, conditions and transactions as the service.
 */

export interface DynamoDbLocalOptions {
  /** Port to listen on; a free one is picked when omitted. */
  port?: number;
  /** Folder the data is kept in (created if missing). Omitted: data lives in memory and dies with the process. */
  dbPath?: string;
  /**
   * Java ignores SIGINT, the Ctrl+C a terminal sends its whole foreground group, for a caller
   * that handles it and stops Java itself, after the consumers still writing to it. Java stays
   * in the caller's group and session otherwise: a closed terminal (SIGHUP) still ends it.
   * Left false, a Ctrl+C ends Java at once, as it does a caller that does not handle it.
   */
  ignoreCtrlC?: boolean;
}

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  /** Stops Java (SIGTERM, so it closes its database files) and resolves once it has exited. */
  stop(): Promise<void>;
}

export class DynamoDbLocalError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DynamoDbLocalError';
  }
}

const READY_TIMEOUT_MS = 20_000;
const POLL_INTERVAL_MS = 200;
const STOP_GRACE_MS = 5_000;
const KEPT_OUTPUT_CHARS = 4_000;
const CRASH_OUTPUT_GRACE_MS = 300;

type ProcessEnd = { error: Error } | { code: number | null; signal: NodeJS.Signals | null };

export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const port = options.port ?? (await findFreePort());
  if (options.dbPath) await mkdir(options.dbPath, { recursive: true });
  const emulator = emulatorFolder();
  const command = [
    javaExecutable(),
    `-Djava.library.path=${join(emulator, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(emulator, 'DynamoDBLocal.jar'),
    '-port',
    String(port),
    // One database whatever the credentials and region of the caller: the table a
    // script or test creates is the one the handlers see, even if AWS_REGION differs.
    '-sharedDb',
    '-disableTelemetry', // a local dev tool has no business calling home
    ...(options.dbPath ? ['-dbPath', options.dbPath] : ['-inMemory']),
  ];
  // Node cannot set a signal ignored in a child; a shell can, and exec keeps it ignored: the JVM installs no handler for a signal ignored at its start.
  const [file, ...args] = options.ignoreCtrlC && process.platform !== 'win32' ? ['/bin/sh', '-c', 'trap "" INT; exec "$0" "$@"', ...command] : command;
  const java = spawn(file!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = watchOutput(java);
  const ended = new Promise<ProcessEnd>((resolve) => {
    java.once('error', (error) => resolve({ error }));
    java.once('exit', (code, signal) => resolve({ code, signal }));
  });
  // An 'exit' handler may only do synchronous work: a kill is enough to not leave Java behind.
  const killOnParentExit = () => java.kill('SIGKILL');
  process.on('exit', killOnParentExit);

  async function stop(): Promise<void> {
    process.off('exit', killOnParentExit);
    java.kill('SIGTERM'); // a no-op once the process has exited
    const exitedInTime = await Promise.race([ended.then(() => true), sleep(STOP_GRACE_MS, false, { ref: false })]);
    if (!exitedInTime) {
      java.kill('SIGKILL');
      await ended;
    }
  }

  const endpoint = `http://127.0.0.1:${port}`;
  const polling = new AbortController();
  // Resolves (never rejects) either way, so the losing side cannot become an unhandled rejection.
  const outcome = await Promise.race([
    waitUntilAnswering(endpoint, polling.signal),
    ended.then((end) => startFailure(end, output.recent())),
    output.crashed
      .then(() => sleep(CRASH_OUTPUT_GRACE_MS)) // the stack trace arrives in the next chunks
      .then(() => new DynamoDbLocalError(`DynamoDB Local failed to start:\n${output.recent()}`)),
  ]);
  polling.abort();
  if (outcome !== true) {
    await stop();
    throw outcome === false
      ? new DynamoDbLocalError(`DynamoDB Local did not answer on ${endpoint} within ${READY_TIMEOUT_MS / 1000} s:\n${output.recent()}`)
      : outcome;
  }
  return { endpoint, port, stop };
}

function emulatorFolder(): string {
  const packageJson = createRequire(import.meta.url).resolve('amplify-dynamodb-simulator/package.json');
  return join(dirname(packageJson), 'emulator');
}

function javaExecutable(): string {
  return process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

/**
 * Java's recent output (stdout and stderr) for error messages; reading it also keeps
 * the pipes drained so Java never blocks on a full one. DynamoDB Local does not exit
 * when startup fails (e.g. the port is taken): its other threads keep the JVM alive
 * after the main thread dies, so `crashed` watches for that instead.
 */
function watchOutput(child: ChildProcess): { recent: () => string; crashed: Promise<void> } {
  let recent = '';
  let reportCrash = () => {};
  const crashed = new Promise<void>((resolve) => (reportCrash = resolve));
  const keep = (chunk: Buffer) => {
    recent = (recent + chunk.toString('utf8')).slice(-KEPT_OUTPUT_CHARS);
    if (recent.includes('Exception in thread "main"')) reportCrash();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { recent: () => recent.trim(), crashed };
}

/** Resolves true once ListTables answers, false when the deadline passes first. */
async function waitUntilAnswering(endpoint: string, signal: AbortSignal): Promise<boolean> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 500, requestTimeout: 1_000, throwOnRequestTimeout: true },
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  try {
    while (!signal.aborted && Date.now() < deadline) {
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: signal });
        return true;
      } catch {
        await sleep(POLL_INTERVAL_MS);
      }
    }
    return false;
  } finally {
    client.destroy();
  }
}

function startFailure(end: ProcessEnd, output: string): DynamoDbLocalError {
  // ENOENT from spawn; 127 from the shell that runs Java for ignoreCtrlC.
  const missingJava = 'error' in end ? (end.error as NodeJS.ErrnoException).code === 'ENOENT' : end.code === 127;
  if ('error' in end || missingJava) {
    const error = 'error' in end ? end.error : new Error(output);
    return new DynamoDbLocalError(
      missingJava
        ? `DynamoDB Local needs Java 17+: install a JDK, e.g. apt-get install openjdk-17-jre-headless (tried "${javaExecutable()}")`
        : `Could not start DynamoDB Local: ${error.message}`,
      { cause: error },
    );
  }
  const how = end.signal ? `was killed by ${end.signal}` : `exited with code ${end.code}`;
  return new DynamoDbLocalError(`DynamoDB Local ${how} before it was ready:\n${output || '(no output)'}`);
}
