import { Aws, Duration, NestedStack, Stack } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
  type IMetric,
  type MetricOptions,
  type IWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Operation, type ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IRule } from 'aws-cdk-lib/aws-events';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IConfigurationSet } from 'aws-cdk-lib/aws-ses';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import type { AlarmsConfig } from '../stack-config';

/**
 * The DynamoDB operations the CRM issues: the data-plane actions crm-table.ts grants, plus
 * TransactWriteItems (checked item by item against those actions) and the stream
 * consumers' GetRecords. ThrottledRequests and SystemErrors exist only per operation, and
 * an alarm may read at most 10 metrics, so the table alarms sum exactly these.
 */
export const monitoredTableOperations = [
  Operation.GET_ITEM,
  Operation.BATCH_GET_ITEM,
  Operation.QUERY,
  Operation.PUT_ITEM,
  Operation.UPDATE_ITEM,
  Operation.DELETE_ITEM,
  Operation.BATCH_WRITE_ITEM,
  Operation.TRANSACT_WRITE_ITEMS,
  Operation.GET_RECORDS,
] as const;

/** The handlers' embedded-metric-format metrics: namespace CRM, dimension `service`. */
const applicationNamespace = 'CRM';
const applicationMetrics = [
  'Requests',
  'ClientErrors',
  'ServerErrors',
  'EmailsSent',
  'EmailsDelivered',
  'EmailsBounced',
  'EmailsComplained',
  'EmailsRejected',
  'SequenceEnrollments',
  'SequenceStepsSucceeded',
  'SequenceStepsFailed',
  'WorkflowRunsFailed',
  'WebhookDeliveriesSucceeded',
  'WebhookAttemptsFailed',
  'WebhookDeliveriesFailed',
  'InboundEmailsLogged',
  'InboundEmailsRejected',
  'CrmEventsPublished',
  'CrmEventsUnpublished',
] as const;

/**
 * SES recalculates an account's (or a set's) bounce and complaint rates over a rolling
 * volume of mail, not per period, and publishes them now and then. The alarms read an
 * hour's maximum, so a high rate holds the alarm instead of flapping between data points.
 */
const reputationPeriod = Duration.hours(1);

export interface CrmObservabilityProps {
  /** `alarms.enabled: false` creates neither the topic nor any alarm. */
  readonly alarms: AlarmsConfig;
  /** Whether to create the stage's CloudWatch dashboard. */
  readonly dashboard: boolean;
}

/** A Lambda fed by the table's stream, and the queue that receives what it gave up on. */
export interface MonitoredStreamConsumer {
  readonly handler: IFunction;
  readonly deadLetterQueue: IQueue;
}

/** A Lambda an EventBridge rule invokes, and the queue that receives the events it gave up on. */
export interface MonitoredEventRule {
  readonly rule: IRule;
  readonly handler: IFunction;
  readonly deadLetterQueue: IQueue;
}

interface AlarmSpec {
  readonly metric: IMetric;
  readonly threshold: number;
  /** What breached and where to look first; it is the opening line of every notification. */
  readonly description: string;
  /** Counts alarm at or above the threshold; rates and latencies only above it. */
  readonly comparisonOperator?: ComparisonOperator;
}

/**
 * Alarms and a dashboard for the stage. Each `monitor…` method takes one part of the
 * stack, adds its alarms (when enabled) and a dashboard row (when enabled); a part that
 * arrives later (a dead-letter queue, a state machine, SES sending) is one more method
 * and one more call in the stack. Every alarm treats missing data as not breaching: an
 * idle stage emits no metrics and stays silent.
 *
 * A nested stack of its own: a stack holds at most 500 resources, and the alarms (two per
 * function, more per consumer) are a fifth of them. Nothing in the stage depends on an
 * alarm, so they are the part that moves out without a reference coming back; what they
 * watch arrives as the nested stack's parameters.
 */
export class CrmObservability extends NestedStack {
  /** Receives every alarm's ALARM and OK transitions; only when alarms are enabled. */
  readonly alarmTopic: Topic | undefined;
  readonly dashboard: Dashboard | undefined;
  private readonly config: AlarmsConfig;
  private readonly period: Duration;
  /** The stage's stack name, which alarm and dashboard names start with (a nested stack's own name is generated). */
  private readonly stageStackName: string;

  constructor(scope: Construct, id: string, props: CrmObservabilityProps) {
    super(scope, id, { description: `Alarms and dashboard of ${Stack.of(scope).stackName}` });
    this.config = props.alarms;
    this.period = Duration.minutes(props.alarms.periodMinutes);
    this.stageStackName = Stack.of(scope).stackName;
    const stackName = this.stageStackName;

    if (props.alarms.enabled) this.alarmTopic = this.createAlarmTopic(props.alarms.email);

    if (props.dashboard) {
      // Dashboard names are unique per account, across regions.
      this.dashboard = new Dashboard(this, 'Dashboard', {
        dashboardName: `${stackName}-${Aws.REGION}`,
        defaultInterval: Duration.hours(3),
      });
    }
  }

  /** API Gateway's own metrics for the HTTP API: 5xx rate and p99 latency, each only once traffic is meaningful. */
  monitorHttpApi(api: IHttpApi): void {
    const requests = api.metricCount({ period: this.period, statistic: 'Sum', label: 'requests' });
    const serverErrors = api.metricServerError({ period: this.period, statistic: 'Sum', label: '5xx' });
    const clientErrors = api.metricClientError({ period: this.period, statistic: 'Sum', label: '4xx' });
    const latency = (statistic: 'p50' | 'p99') => api.metricLatency({ period: this.period, statistic, label: `latency ${statistic}` });
    const minRequests = this.config.apiMinRequests;

    // 5xx is sparse on some stages, so FILL(…, 0); below the minimum the rate is 0, and
    // with no requests at all the expression has no data: idle stays OK.
    const errorRate = new MathExpression({
      expression: `IF(requests >= ${minRequests}, 100 * FILL(errors, 0) / requests, 0)`,
      usingMetrics: { requests, errors: serverErrors },
      period: this.period,
      label: '5xx rate (%)',
    });
    const latencyP99 = new MathExpression({
      expression: `IF(requests >= ${minRequests}, latency, 0)`,
      usingMetrics: { requests, latency: latency('p99') },
      period: this.period,
      label: 'latency p99 (ms)',
    });

    const errorRateAlarm = this.addAlarm('ApiServerErrorRate', 'api-5xx-rate', {
      metric: errorRate,
      threshold: this.config.apiErrorRatePercent,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      description:
        `More than ${this.config.apiErrorRatePercent}% of API requests answered 5xx (periods with fewer than ${minRequests} ` +
        'requests are ignored). Look for errors in the function logs and for integrationError in the API access log.',
    });
    const latencyAlarm = this.addAlarm('ApiLatencyP99', 'api-latency-p99', {
      metric: latencyP99,
      threshold: this.config.apiLatencyP99Ms,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      description:
        `API p99 latency above ${this.config.apiLatencyP99Ms} ms (periods with fewer than ${minRequests} requests are ignored). ` +
        'The dashboard shows which function got slower and whether the table is throttling.',
    });

    this.addDashboardRow(
      '## API',
      graph('Requests', [requests]),
      graph('Errors', [clientErrors, serverErrors]),
      graph('5xx rate (%)', [errorRate], errorRateAlarm),
      graph('Latency (ms)', [latency('p50'), latency('p99')], latencyAlarm),
    );
  }

  /**
   * Every function of the manifest: its health (Errors and Throttles alarms, one pair per
   * function, named after it), and the Functions row of the dashboard. Stream consumers
   * and event rules add what only they have (monitorStreamConsumer, monitorEventRule).
   */
  monitorFunctions(functions: Readonly<Partial<Record<string, IFunction>>>): void {
    const named = Object.entries(functions).filter((entry): entry is [string, IFunction] => entry[1] !== undefined);
    for (const [name, fn] of named) this.monitorFunctionHealth(name, fn);

    const perFunction = (metric: (fn: IFunction, options: MetricOptions) => IMetric, statistic: string) =>
      named.map(([name, fn]) => metric(fn, { period: this.period, statistic, label: kebabCase(name) }));
    this.addDashboardRow(
      '## Functions',
      graph('Duration p99 (ms)', perFunction((fn, options) => fn.metricDuration(options), 'p99')),
      graph('Errors', perFunction((fn, options) => fn.metricErrors(options), 'Sum')),
      graph('Throttles', perFunction((fn, options) => fn.metricThrottles(options), 'Sum')),
      graph('Concurrent executions (max)', perFunction((fn, options) => fn.metric('ConcurrentExecutions', options), 'Maximum')),
    );
  }

  /** One function's Errors and Throttles alarms: what fails or is refused, wherever it is triggered from. */
  private monitorFunctionHealth(name: string, fn: IFunction): void {
    const alarmName = kebabCase(name);
    const id = pascalCase(alarmName);
    this.addAlarm(`${id}Errors`, `${alarmName}-errors`, {
      metric: fn.metricErrors({ period: this.period, statistic: 'Sum' }),
      threshold: this.config.functionErrors,
      description:
        `Function ${name} failed at least ${this.config.functionErrors} time(s): an uncaught error, a timeout or running ` +
        'out of memory. Its log group has the stack trace. A stream consumer or event rule function retries (see its ' +
        'own dashboard row); an API function answered 5xx.',
    });
    this.addAlarm(`${id}Throttles`, `${alarmName}-throttles`, {
      metric: fn.metricThrottles({ period: this.period, statistic: 'Sum' }),
      threshold: this.config.functionThrottles,
      description:
        `Function ${name} was throttled at least ${this.config.functionThrottles} time(s): the account's Lambda ` +
        'concurrency in this region is used up. API callers got 5xx; stream records wait in the stream (24 hours), ' +
        'events are retried for up to 6 hours.',
    });
  }

  /** The CRM table: throttled requests and system errors across the operations the CRM uses; capacity graphs. */
  monitorTable(table: ITableV2): void {
    const throttled = this.sumOverOperations(table, 'ThrottledRequests', 'throttled requests');
    const systemErrors = this.sumOverOperations(table, 'SystemErrors', 'system errors');

    const throttledAlarm = this.addAlarm('TableThrottledRequests', 'table-throttled', {
      metric: throttled,
      threshold: this.config.tableThrottledRequests,
      description:
        `DynamoDB throttled at least ${this.config.tableThrottledRequests} request(s) to the CRM table: a hot partition or ` +
        "the table's on-demand limits. The SDK retries, so callers see latency first, then 5xx.",
    });
    const systemErrorsAlarm = this.addAlarm('TableSystemErrors', 'table-system-errors', {
      metric: systemErrors,
      threshold: this.config.tableSystemErrors,
      description:
        `DynamoDB failed at least ${this.config.tableSystemErrors} request(s) to the CRM table with an internal error. ` +
        'Check the AWS Health Dashboard for DynamoDB in this region.',
    });

    this.addDashboardRow(
      '## Table',
      graph('Consumed capacity units', [
        table.metricConsumedReadCapacityUnits({ period: this.period, statistic: 'Sum', label: 'read (RCU)' }),
        table.metricConsumedWriteCapacityUnits({ period: this.period, statistic: 'Sum', label: 'write (WCU)' }),
      ]),
      graph('Throttled requests', [throttled], throttledAlarm),
      graph('System errors', [systemErrors], systemErrorsAlarm),
    );
  }

  /**
   * A consumer of the table's stream, besides its function's health: how far it is behind
   * the stream (IteratorAge), and its dead-letter queue, where Lambda puts a batch it gave
   * up on after the consumer's retries.
   */
  monitorStreamConsumer(name: string, consumer: MonitoredStreamConsumer): void {
    const { handler, deadLetterQueue } = consumer;
    const alarmName = kebabCase(name);
    const id = pascalCase(alarmName);
    const iteratorAgeMinutes = this.config.streamIteratorAgeMinutes;
    const metric = (metricName: string, statistic: string, label: string) =>
      handler.metric(metricName, { period: this.period, statistic, label });
    const iteratorAge = metric('IteratorAge', 'Maximum', 'iterator age max (ms)');
    const errors = metric('Errors', 'Sum', 'errors');
    const throttles = metric('Throttles', 'Sum', 'throttles');
    const deadLetters = this.deadLetterDepth(deadLetterQueue);

    const iteratorAgeAlarm = this.addAlarm(`${id}IteratorAge`, `${alarmName}-iterator-age`, {
      metric: iteratorAge,
      threshold: iteratorAgeMinutes * 60_000,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      description:
        `Stream consumer ${name} is more than ${iteratorAgeMinutes} minute(s) behind the table's stream: it keeps failing ` +
        'and retrying, or is throttled or too slow. The stream drops records after 24 hours; check its errors and log group.',
    });
    const deadLettersAlarm = this.addAlarm(`${id}DeadLetters`, `${alarmName}-dead-letters`, {
      metric: deadLetters,
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      description:
        `Stream consumer ${name} gave up on a batch of stream records after its retries. Each message in its dead-letter ` +
        'queue names the shard and sequence numbers of a batch, not its records: the log group shows what the consumer ' +
        'was working on and why it failed. See docs/deploy.md (Alarms and dashboard).',
    });

    this.addDashboardRow(
      `## Stream consumer ${name}`,
      graph('Iterator age max (ms)', [iteratorAge], iteratorAgeAlarm),
      graph('Errors and throttles', [errors, throttles]),
      graph('Duration p99 (ms)', [metric('Duration', 'p99', 'duration p99')]),
      graph('Dead-letter queue (visible messages)', [deadLetters], deadLettersAlarm),
    );
  }

  /**
   * A Lambda invoked by an EventBridge rule, besides its function's health: the rule's
   * FailedInvocations (events EventBridge could not hand to Lambda after its retries), and the
   * dead-letter queue both those and the handler's own failures end up in.
   */
  monitorEventRule(name: string, target: MonitoredEventRule): void {
    const { rule, handler, deadLetterQueue } = target;
    const alarmName = kebabCase(name);
    const id = `${pascalCase(alarmName)}Rule`;
    const ruleMetric = (metricName: string, label: string) =>
      new Metric({
        namespace: 'AWS/Events',
        metricName,
        // Rules on the default bus are measured by rule name alone.
        dimensionsMap: { RuleName: rule.ruleName },
        period: this.period,
        statistic: 'Sum',
        label,
      });
    const invocations = ruleMetric('Invocations', 'invocations');
    const failedInvocations = ruleMetric('FailedInvocations', 'failed invocations');
    const errors = handler.metricErrors({ period: this.period, statistic: 'Sum', label: 'errors' });
    const throttles = handler.metricThrottles({ period: this.period, statistic: 'Sum', label: 'throttles' });
    const deadLetters = this.deadLetterDepth(deadLetterQueue);

    const failedInvocationsAlarm = this.addAlarm(`${id}FailedInvocations`, `${alarmName}-failed-invocations`, {
      metric: failedInvocations,
      threshold: this.config.eventRuleFailedInvocations,
      description:
        `The EventBridge rule of ${name} could not hand at least ${this.config.eventRuleFailedInvocations} event(s) to its ` +
        'function after its retries (a missing permission or function, or Lambda refusing). Those events are in the ' +
        'dead-letter queue, unless sending them there failed too (InvocationsFailedToBeSentToDlq).',
    });
    const deadLettersAlarm = this.addAlarm(`${id}DeadLetters`, `${alarmName}-dead-letters`, {
      metric: deadLetters,
      threshold: this.config.eventRuleDeadLetters,
      description:
        `The dead-letter queue of ${name} holds at least ${this.config.eventRuleDeadLetters} event(s) the CRM gave up on. ` +
        'Each message is the event itself (or a Lambda failure record around it): read the error, fix the cause and ' +
        'replay the events. See docs/deploy.md (Email).',
    });

    this.addDashboardRow(
      `## Event rule ${name}`,
      graph('Invocations and failed invocations', [invocations, failedInvocations], failedInvocationsAlarm),
      graph('Errors and throttles', [errors, throttles]),
      graph('Duration p99 (ms)', [handler.metricDuration({ period: this.period, statistic: 'p99', label: 'duration p99' })]),
      graph('Dead-letter queue (visible messages)', [deadLetters], deadLettersAlarm),
    );
  }

  /**
   * A queue consumer (webhook deliveries): its dead-letter queue, which alarms, and the
   * queue's depth. Messages waiting out a retry's pause are "not visible": a deep invisible
   * count is endpoints failing (see the deliveries metrics), a deep visible one is the
   * consumer falling behind.
   */
  monitorQueueConsumer(name: string, target: { readonly handler: IFunction; readonly queue: IQueue; readonly deadLetterQueue: IQueue }): void {
    const alarmName = kebabCase(name);
    const id = `${pascalCase(alarmName)}Queue`;
    const { queue } = target;
    const deadLetters = this.deadLetterDepth(target.deadLetterQueue);
    const deadLettersAlarm = this.addAlarm(`${id}DeadLetters`, `${alarmName}-dead-letters`, {
      metric: deadLetters,
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      description:
        `The dead-letter queue of ${name} holds messages its function kept failing on (received as often as the queue's ` +
        'maxReceiveCount in functions/manifest.ts allows, ' +
        'without finishing: a crash or timeout, not an endpoint answering an error). Each message names a delivery; fix the ' +
        'cause, then retry the deliveries (POST /v1/webhooks/{id}/deliveries/{deliveryId}/retry). See docs/integrations.md.',
    });
    this.addDashboardRow(
      `## Queue ${name}`,
      graph('Messages visible / waiting out a retry pause', [
        queue.metricApproximateNumberOfMessagesVisible({ period: this.period, statistic: 'Maximum', label: 'visible' }),
        queue.metricApproximateNumberOfMessagesNotVisible({ period: this.period, statistic: 'Maximum', label: 'not visible (in flight or pausing)' }),
      ]),
      graph('Errors and throttles', [target.handler.metricErrors({ period: this.period, statistic: 'Sum', label: 'errors' }), target.handler.metricThrottles({ period: this.period, statistic: 'Sum', label: 'throttles' })]),
      graph('Duration p99 (ms)', [target.handler.metricDuration({ period: this.period, statistic: 'p99', label: 'duration p99' })]),
      graph('Dead-letter queue (visible messages)', [deadLetters], deadLettersAlarm),
    );
  }

  /** Received mail the inbound function kept failing on: its receipts, in a dead-letter queue (the raw messages stay in the bucket). */
  monitorInboundEmail(deadLetterQueue: IQueue): void {
    const deadLetters = this.deadLetterDepth(deadLetterQueue);
    const alarm = this.addAlarm('InboundEmailDeadLetters', 'inbound-email-dead-letters', {
      metric: deadLetters,
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      description:
        'The inbound email function failed on a received message after its retries. Each message in the dead-letter queue is ' +
        "SES's receipt (its mail.messageId names the raw message in the inbound bucket, kept for email.inbound.retentionDays): " +
        'fix the cause, then invoke the function again with it. See docs/integrations.md.',
    });
    this.addDashboardRow('## Inbound email', graph('Dead-letter queue (visible messages)', [deadLetters], alarm));
  }

  /** A scheduled function: ticks Scheduler could not deliver, in its dead-letter queue (the function's own errors are in monitorFunctions). */
  monitorSchedule(name: string, target: { readonly handler: IFunction; readonly deadLetterQueue: IQueue }): void {
    const alarmName = kebabCase(name);
    const id = `${pascalCase(alarmName)}Schedule`;
    const deadLetters = this.deadLetterDepth(target.deadLetterQueue);
    const deadLettersAlarm = this.addAlarm(`${id}DeadLetters`, `${alarmName}-dead-letters`, {
      metric: deadLetters,
      threshold: this.config.eventRuleDeadLetters,
      description:
        `The dead-letter queue of ${name}'s schedule holds at least ${this.config.eventRuleDeadLetters} tick(s) EventBridge ` +
        'Scheduler could not hand to the function after its retries (a missing permission or function, Lambda refusing). ' +
        'Later ticks fire the same periods, so nothing is lost once the cause is fixed; see docs/automation.md.',
    });
    this.addDashboardRow(
      `## Schedule ${name}`,
      graph('Errors and throttles', [target.handler.metricErrors({ period: this.period, statistic: 'Sum', label: 'errors' }), target.handler.metricThrottles({ period: this.period, statistic: 'Sum', label: 'throttles' })]),
      graph('Duration p99 (ms)', [target.handler.metricDuration({ period: this.period, statistic: 'p99', label: 'duration p99' })]),
      graph('Dead-letter queue (visible messages)', [deadLetters], deadLettersAlarm),
    );
  }

  /**
   * A Standard workflow: executions that failed or timed out. Aborted executions are only
   * graphed: an abort is someone's StopExecution, not a fault.
   */
  monitorStateMachine(name: string, stateMachine: IStateMachine): void {
    const id = `${pascalCase(name)}StateMachine`;
    const threshold = this.config.stateMachineFailedExecutions;
    const metric = (metricName: string, label: string) =>
      stateMachine.metric(metricName, { period: this.period, statistic: 'Sum', label });
    const started = metric('ExecutionsStarted', 'started');
    const succeeded = metric('ExecutionsSucceeded', 'succeeded');
    const failed = metric('ExecutionsFailed', 'failed');
    const timedOut = metric('ExecutionsTimedOut', 'timed out');
    const aborted = metric('ExecutionsAborted', 'aborted');
    const throttled = metric('ExecutionThrottled', 'throttled');

    const failedAlarm = this.addAlarm(`${id}Failed`, `${name}-failed`, {
      metric: failed,
      threshold,
      description:
        `At least ${threshold} execution(s) of state machine ${name} failed: a step kept failing through its retries ` +
        'and the run was marked failed. The execution history in the Step Functions console shows the error and cause; ' +
        'the step function log group shows why. See docs/deploy.md (Automation).',
    });
    this.addAlarm(`${id}TimedOut`, `${name}-timed-out`, {
      metric: timedOut,
      threshold,
      description:
        `At least ${threshold} execution(s) of state machine ${name} timed out: a run reached the time limit of a ` +
        'Standard workflow (one year) or of a state. Its execution history shows which state was running.',
    });

    this.addDashboardRow(
      `## State machine ${name}`,
      graph('Executions started and succeeded', [started, succeeded]),
      graph('Executions failed and timed out', [failed, timedOut], failedAlarm),
      graph('Executions aborted and throttled', [aborted, throttled]),
    );
  }

  /**
   * SES reputation of the stack's configuration set (its reputation metrics must be on):
   * the rates SES itself judges the account by. SES reviews an account from a 5% bounce or
   * 0.1% complaint rate and may pause its sending from 10% or 0.5%.
   */
  monitorEmailSending(configurationSet: IConfigurationSet): void {
    const reputation = (metricName: string, label: string) =>
      new Metric({
        namespace: 'AWS/SES',
        metricName,
        dimensionsMap: { 'ses:configuration-set': configurationSet.configurationSetName },
        period: reputationPeriod,
        statistic: 'Maximum',
        label,
      });
    const bounceRate = reputation('Reputation.BounceRate', 'bounce rate (0.05 = 5%)');
    const complaintRate = reputation('Reputation.ComplaintRate', 'complaint rate (0.001 = 0.1%)');
    const { emailBounceRatePercent, emailComplaintRatePercent } = this.config;

    // From the threshold on, as SES's own limits are "5% or more": the defaults are those limits.
    const bounceAlarm = this.addAlarm('EmailBounceRate', 'email-bounce-rate', {
      metric: bounceRate,
      threshold: emailBounceRatePercent / 100,
      description:
        `The SES bounce rate of the CRM's mail reached ${emailBounceRatePercent}%. SES reviews an account from 5% and ` +
        'may pause its sending from 10%. Find the bounced addresses (EmailsBounced, the email events log), stop sending ' +
        'to bought or stale lists, and see docs/deploy.md (Email).',
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    const complaintAlarm = this.addAlarm('EmailComplaintRate', 'email-complaint-rate', {
      metric: complaintRate,
      threshold: emailComplaintRatePercent / 100,
      description:
        `The SES complaint rate of the CRM's mail reached ${emailComplaintRatePercent}%: recipients marked it as spam. ` +
        'SES reviews an account from 0.1% and may pause its sending from 0.5%. Pause the sequences that send the most ' +
        'and see docs/deploy.md (Email).',
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });

    this.addDashboardRow(
      `## Email (SES configuration set)`,
      graph('Bounce rate (hourly max)', [bounceRate], bounceAlarm),
      graph('Complaint rate (hourly max)', [complaintRate], complaintAlarm),
    );
  }

  /**
   * The handlers' own metrics (embedded metric format), per `service`. Searched rather
   * than listed, so a new function shows up without a change here. Dashboard only.
   */
  monitorApplicationMetrics(): void {
    const search = (metricName: string) =>
      new MathExpression({
        expression: `SEARCH('{${applicationNamespace},service} MetricName="${metricName}"', 'Sum', ${this.period.toSeconds()})`,
        usingMetrics: {},
        label: '',
      });
    this.addDashboardRow(
      `## Handlers (namespace ${applicationNamespace})`,
      ...applicationMetrics.map((metricName) => graph(metricName, [search(metricName)])),
    );
  }

  /** Messages waiting in a dead-letter queue, at the most in the period: any is work left undone. */
  private deadLetterDepth(queue: MonitoredStreamConsumer['deadLetterQueue']) {
    return queue.metricApproximateNumberOfMessagesVisible({ period: this.period, statistic: 'Maximum', label: 'messages in the dead-letter queue' });
  }

  /**
   * One alarm, wired to the topic for both ALARM and OK, named `<stack>-<name>` so a
   * notification says which stage it is about. Nothing when alarms are disabled.
   */
  private addAlarm(id: string, name: string, spec: AlarmSpec): Alarm | undefined {
    if (!this.alarmTopic) return undefined;
    const alarm = new Alarm(this, id, {
      alarmName: `${this.stageStackName}-${name}`,
      alarmDescription: spec.description,
      metric: spec.metric,
      threshold: spec.threshold,
      comparisonOperator: spec.comparisonOperator ?? ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: this.config.evaluationPeriods,
      datapointsToAlarm: this.config.evaluationPeriods,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const action = new SnsAction(this.alarmTopic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    return alarm;
  }

  private addDashboardRow(title: string, ...widgets: IWidget[]): void {
    if (!this.dashboard) return;
    this.dashboard.addWidgets(new TextWidget({ markdown: title, width: 24, height: 1 }));
    this.dashboard.addWidgets(...widgets);
  }

  /**
   * A table metric that exists only per operation, summed over the CRM's operations.
   * Each is sparse (DynamoDB reports nothing while nothing is throttled), so each is
   * FILLed with 0: a plain `a + b` would have no value whenever any operand has none.
   */
  private sumOverOperations(table: ITableV2, metricName: string, label: string): MathExpression {
    const usingMetrics = Object.fromEntries(
      monitoredTableOperations.map((operation) => [
        `op${operation}`,
        table.metric(metricName, {
          dimensionsMap: { TableName: table.tableName, Operation: operation },
          period: this.period,
          statistic: 'Sum',
        }),
      ]),
    );
    return new MathExpression({
      expression: Object.keys(usingMetrics)
        .map((id) => `FILL(${id}, 0)`)
        .join(' + '),
      usingMetrics,
      period: this.period,
      label,
    });
  }

  /**
   * Alarm notifications carry alarm names, thresholds and metric values, never CRM data.
   * Publishing is HTTPS only, and only CloudWatch alarms of this account may publish.
   */
  private createAlarmTopic(email: string | undefined): Topic {
    const topic = new Topic(this, 'AlarmTopic', {
      displayName: `CRM alarms (${this.stageStackName})`,
      enforceSSL: true,
    });
    // A topic policy replaces SNS's default one, which is what lets CloudWatch publish.
    topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisAccount',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*` },
        },
      }),
    );
    // Not encrypted at rest, on purpose: the topic carries only alarm names, thresholds and
    // metric values, no CRM data. CloudWatch cannot publish to a topic encrypted with SNS's
    // AWS managed key, so encryption would need a customer managed key (billed monthly) whose
    // policy admits CloudWatch; publishing is HTTPS-only (SNS3) instead. (cdk-nag 3's
    // AwsSolutions pack no longer checks topic encryption, so there is nothing to acknowledge.)
    if (email) topic.addSubscription(new EmailSubscription(email));
    return topic;
  }
}

/** A quarter-width graph, with the alarm's threshold drawn in when there is one. */
function graph(title: string, metrics: IMetric[], alarm?: Alarm): GraphWidget {
  return new GraphWidget({
    title,
    left: metrics,
    leftAnnotations: alarm ? [alarm.toAnnotation()] : undefined,
    width: 6,
    height: 6,
  });
}

/** `recordSweeper` → `record-sweeper`, for alarm names. */
export const kebabCase = (name: string) => name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);

const pascalCase = (name: string) =>
  name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
