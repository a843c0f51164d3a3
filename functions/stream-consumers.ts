/**
 * Lambdas fed by the table's stream. The CDK stack wires each to the stream with
 * this filter, and the local runtime's stream poller applies the very same filter,
 * so what runs locally is what deploys.
 */
export interface StreamConsumer {
  /** Handler module, relative to the repository root; it exports `handler`. */
  readonly entry: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly batchSize: number;
  /** Retries of a failing record before it goes to the dead-letter queue. */
  readonly maxRetries: number;
  /** Lambda event filter pattern (the JSON EventBridge-style syntax) on the stream record. */
  readonly filterPattern: Record<string, unknown>;
}

export const streamConsumers = {
  /** Finishes deletions: every record that becomes a tombstone is swept until nothing of it is left. */
  recordSweeper: {
    entry: 'functions/record-sweeper.ts',
    memoryMb: 1024,
    timeoutSeconds: 300,
    batchSize: 10,
    maxRetries: 8,
    filterPattern: { eventName: ['INSERT', 'MODIFY'], dynamodb: { NewImage: { entity: { S: ['tombstone'] } } } },
  },
  /**
   * Starts the follow-up sequence run of every new enrollment or resumed run (active and
   * `starting`, until its first step is sent).
   * The enrollment is written first and the run started from the stream, so an accepted
   * enrollment is never lost to a failed start; the execution is named after the run, so a
   * redelivered record starts nothing twice.
   */
  sequenceStarter: {
    entry: 'functions/sequence-starter.ts',
    memoryMb: 512,
    timeoutSeconds: 60,
    batchSize: 10,
    maxRetries: 8,
    filterPattern: {
      eventName: ['INSERT', 'MODIFY'],
      dynamodb: { NewImage: { entity: { S: ['enrollment'] }, status: { S: ['active'] }, starting: { BOOL: [true] } } },
    },
  },
} as const satisfies Record<string, StreamConsumer>;

export type StreamConsumerName = keyof typeof streamConsumers;
