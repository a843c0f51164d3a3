/**
 * How much a CRM user does on a working day, by route, in three profiles. The route
 * names are the benchmark's (route-scenarios.ts); each stands for its kind of request
 * on any record type (a company page costs what a contact page costs: same code,
 * similar items). These numbers are assumptions, not measurements: change them here.
 */
export interface UsageProfile {
  readonly name: string;
  readonly description: string;
  /** Requests per user per working day, by benchmark route name. */
  readonly requestsPerUserDay: Readonly<Record<string, number>>;
  /** Per function and per 25 users, how many hours a working day it is busy enough to stay warm (each such hour starts one cold container). */
  readonly activeHoursPerDay: number;
  /** Follow-up sequence steps sent per user per working day (each one email), by the benchmark's automation name. */
  readonly automationStepsPerUserDay: Readonly<Record<string, number>>;
}

/** State transitions of one sequence step: "Wait for step", "Send step", "Finished?" (infra/state-machines/runs.ts). */
export const TRANSITIONS_PER_SEQUENCE_STEP = 3;

export const WORKING_DAYS_PER_MONTH = 22;

export const usageProfiles: readonly UsageProfile[] = [
  {
    name: 'idle',
    description: 'a team that opens the CRM a few times a day',
    requestsPerUserDay: {
      'get contact': 3,
      'list contacts (25)': 2,
      'search page (stage, 25)': 1,
      'timeline page (25)': 1,
      'create contact': 0.2,
      'update contact': 0.5,
      'create deal': 0.05,
      'move deal stage': 0.1,
      'send email': 0.2,
    },
    activeHoursPerDay: 2,
    automationStepsPerUserDay: { 'sequence step': 1 },
  },
  {
    name: 'typical',
    description: 'sales people working in it all day',
    requestsPerUserDay: {
      'get contact': 60,
      'list contacts (25)': 30,
      'search page (stage, 25)': 20,
      'timeline page (25)': 20,
      'create contact': 5,
      'update contact': 15,
      'create deal': 1,
      'move deal stage': 3,
      'send email': 5,
    },
    activeHoursPerDay: 9,
    automationStepsPerUserDay: { 'sequence step': 20 },
  },
  {
    name: 'heavy',
    description: 'power users plus integrations syncing all day',
    requestsPerUserDay: {
      'get contact': 400,
      'list contacts (25)': 150,
      'search page (stage, 25)': 100,
      'timeline page (25)': 80,
      'create contact': 40,
      'update contact': 100,
      'create deal': 5,
      'move deal stage': 15,
      'send email': 20,
    },
    activeHoursPerDay: 12,
    automationStepsPerUserDay: { 'sequence step': 150 },
  },
];
