import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { EventBridgeEvent } from 'aws-lambda';
import { deployedEventPattern, functionsTriggeredBy, type FunctionDeclaration, type Trigger } from '../functions/manifest';
import { matchesEventPattern } from './event-pattern';
import { LOCAL_SES_CONFIGURATION_SET } from './local-arns';
import { createLambdaContext } from './lambda-context';
import { createHandlerLoader, withTimeout } from './lambda-handlers';

/**
 * Locally, plays the account's default EventBridge bus: every published event goes to
 * each rule of functions/manifest.ts whose pattern (the very object the stack deploys)
 * matches it, and the rule's handler module runs in this process with the event and a
 * Lambda context. As with EventBridge's asynchronous invocations, `publish` returns once
 * the event is routed and the handlers run in the background; a failing invocation is
 * retried up to the rule's `maxRetries` (quickly), then the event is dead-lettered.
 *
 * Deployed, a handler's own errors are retried by Lambda's asynchronous invocation
 * settings, not by the rule's retry policy (that one covers failed deliveries); locally
 * both are the same retry loop.
 */

export type BusEvent = EventBridgeEvent<string, unknown>;

export type EventRuleTarget = Pick<FunctionDeclaration, 'entry' | 'memoryMb' | 'timeoutSeconds'> & Pick<Extract<Trigger, { kind: 'eventRule' }>, 'eventPattern' | 'scope' | 'maxRetries'>;

/** The deployed event rules of functions/manifest.ts on one bus: the account's default one, or the stage's own. */
export const deployedEventRules = (bus: 'default' | 'crm' = 'default'): Record<string, EventRuleTarget> =>
  Object.fromEntries(
    functionsTriggeredBy('eventRule')
      .filter(([, { trigger }]) => trigger.bus === bus)
      .map(([name, { entry, memoryMb, timeoutSeconds, trigger }]) => [
        name,
        { entry, memoryMb, timeoutSeconds, eventPattern: trigger.eventPattern, maxRetries: trigger.maxRetries, ...(trigger.scope ? { scope: trigger.scope } : {}) },
      ]),
  );

export interface LocalEventBusOptions {
  /** Which rules listen on the bus; defaults to the deployed ones (functions/manifest.ts). */
  rules?: Readonly<Record<string, EventRuleTarget>>;
  /** Folder the `entry` paths are relative to; defaults to the repository root. */
  rootDir?: string;
  /** The pause before retry n is n × this (default 100 ms), a fast stand-in for EventBridge's backoff. */
  retryDelayMs?: number;
  /** Where an event goes once its retries are used up (the rule's dead-letter queue); by default it is logged. */
  onDeadLetter?: (rule: string, event: BusEvent, error: unknown) => void;
}

export interface LocalEventBus {
  /** Routes the event and returns the names of the rules it matched; their handlers run in the background. */
  publish(event: BusEvent): string[];
  /** Resolves once every delivery of the events published so far has ended (handled or dead-lettered). */
  drain(): Promise<void>;
}

const REPOSITORY_ROOT = fileURLToPath(new URL('..', import.meta.url));

export function createLocalEventBus({ rules = deployedEventRules(), rootDir = REPOSITORY_ROOT, retryDelayMs = 100, onDeadLetter = logDeadLetter }: LocalEventBusOptions = {}): LocalEventBus {
  const loadHandler = createHandlerLoader(rootDir);
  const deliveries = new Set<Promise<void>>();

  async function deliver(name: string, rule: EventRuleTarget, event: BusEvent): Promise<void> {
    let lastError: unknown;
    for (let attempt = 0; attempt <= rule.maxRetries; attempt++) {
      if (attempt > 0) await sleep(retryDelayMs * attempt);
      try {
        const handler = await loadHandler(rule.entry);
        const context = createLambdaContext({ functionName: name, memoryMb: rule.memoryMb, timeoutSeconds: rule.timeoutSeconds });
        // A copy per invocation, as Lambda deserializes the payload afresh: a handler cannot change what a retry sees.
        await withTimeout(rule.timeoutSeconds, async () => handler(structuredClone(event), context));
        return;
      } catch (error) {
        lastError = error;
      }
    }
    onDeadLetter(name, event, lastError);
  }

  return {
    publish(event) {
      assertEnvelope(event);
      const matched = Object.entries(rules).filter(([, rule]) => matchesEventPattern(deployedEventPattern(rule, { configurationSetName: LOCAL_SES_CONFIGURATION_SET }) as never, event));
      for (const [name, rule] of matched) {
        const delivery = deliver(name, rule, event).finally(() => deliveries.delete(delivery));
        deliveries.add(delivery);
      }
      return matched.map(([name]) => name);
    },
    async drain() {
      while (deliveries.size > 0) await Promise.all(deliveries);
    },
  };
}

/** EventBridge refuses an entry without these (PutEvents requires Source, DetailType and Detail). */
function assertEnvelope(event: BusEvent): void {
  const missing = (['source', 'detail-type', 'detail'] as const).filter((field) => event[field] === undefined || event[field] === '');
  if (missing.length > 0) throw new Error(`Event ${event.id ?? '(no id)'} lacks ${missing.join(', ')}: EventBridge would refuse it`);
}

function logDeadLetter(rule: string, event: BusEvent, error: unknown): void {
  console.error(`[events] ${rule} gave up on ${event['detail-type']} event ${event.id} (dead-lettered): ${String(error)}\n${JSON.stringify(event)}`);
}
